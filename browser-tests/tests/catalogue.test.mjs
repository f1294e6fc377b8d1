// The cataloguer in a browser: find a record, read it as a description and as tagged MARC with
// holdings of several members, edit it in the MARC editor and see the change — every page
// accessible (axe-core, WCAG 2.1 AA).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, launchBrowser, accessibilityViolations, logIn } from './support.mjs';

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test('a cataloguer opens a shared record, sees its MARC and holdings, and edits it', async () => {
  const page = await logIn(browser, demo, demo.staff('cataloguing'));

  await page.getByRole('link', { name: /^Catalogue/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Catalogue' }).waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);

  // The first University of Virginia records are also held by Riverside: they merge on load.
  await page.getByLabel(/Find a record/).fill('The book of the dance');
  await page.keyboard.press('Enter');
  await page.getByRole('status').waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.getByRole('link', { name: /^The book of the dance/ }).first().click();
  await page.getByRole('heading', { level: 1, name: /The book of the dance/ }).waitFor();

  const marc = page.getByLabel('MARC record');
  assert.match(await marc.innerText(), /^245 /m);
  const members = await page.getByRole('heading', { level: 3 }).allInnerTexts();
  assert.ok(members.some((m) => m.includes('(OVSU)')), `holdings headings: ${members}`);
  assert.ok(members.length >= 2, `holdings of several members: ${members}`);
  // The merge made on load names its rule and can be undone from here.
  const merges = await page.locator('#merges + table').innerText();
  assert.match(merges, /LCCN|OCLC number|ISBN|Title, author, date and format/, merges);
  assert.ok(await page.getByRole('button', { name: 'Undo this merge' }).first().isVisible());
  assert.deepEqual(await accessibilityViolations(page), []);

  await page.getByRole('link', { name: 'Edit the MARC record' }).click();
  const editor = page.getByLabel('MARC record');
  await editor.waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  const text = await editor.inputValue();

  // A mistake is named by line and tag, and nothing is saved.
  await editor.fill(text.replace(/^245 /m, '24! '));
  await page.getByRole('button', { name: 'Save the record' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /line \d+ \(tag 24!\)/);
  assert.deepEqual(await accessibilityViolations(page), []);

  await page.getByLabel('MARC record').fill(text.replace(/^245 /m, '500    $a Checked by the demo cataloguer.\n245 '));
  await page.getByRole('button', { name: 'Save the record' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('status').innerText(), /The record has been saved \(version 2\)/);
  assert.match(await page.getByLabel('MARC record').innerText(), /Checked by the demo cataloguer\./);
  assert.ok(await page.getByText('Checked by the demo cataloguer.').first().isVisible());
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.close();
});

test('a cataloguer names a shelving location, and patrons read the name beside each copy', async () => {
  const cataloguer = demo.staff('cataloguing');
  const member = cataloguer.scope.replace(/^member:/, '');
  const page = await logIn(browser, demo, cataloguer);

  // Every location the member's copies stand at is listed with its name, to change in place.
  await page.goto(`${demo.url}/admin/members/${member}/locations`);
  await page.getByRole('heading', { level: 1, name: /^Shelving locations of / }).waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  const stacks = page.getByLabel('Name of STACKS');
  assert.equal(await stacks.inputValue(), 'Main stacks');
  await stacks.fill('Open stacks');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').waitFor();
  assert.equal(await page.getByLabel('Name of STACKS').inputValue(), 'Open stacks');
  const names = (await page.locator('input[name="name"]').evaluateAll((inputs) => inputs.map((input) => input.value)))
    .filter((name) => name !== '');
  assert.ok(names.includes('Open stacks'), `names: ${names}`);
  assert.deepEqual(await accessibilityViolations(page), []);

  // On a record the member holds, in its own view, each of its copies says where it stands.
  await page.goto(`${demo.url}/m/${member}/search?q=the&member=${member}`);
  await page.locator('ol.hits a.hit-title').first().click();
  await page.waitForURL(/\/record\/\d+$/);
  const own = page.locator('section.holdings').first();
  assert.ok(await own.getByRole('columnheader', { name: 'Location' }).isVisible());
  const shown = await own.locator('tbody tr td:nth-child(2)').allInnerTexts();
  assert.ok(shown.length > 0);
  for (const location of shown) {
    assert.ok(names.includes(location.trim()), `${location} is not among ${names}`);
  }
  assert.deepEqual(await accessibilityViolations(page), []);

  // Adding a copy to that record, the location is offered by code with its name.
  const bib = page.url().match(/\/record\/(\d+)$/)[1];
  await page.goto(`${demo.url}/admin/bibs/${bib}/items`);
  const offered = await page.locator('datalist#shelving-locations option')
    .evaluateAll((options) => options.map((option) => [option.value, option.textContent]));
  assert.ok(offered.some(([code, name]) => code === 'STACKS' && name === 'Open stacks'), JSON.stringify(offered));
  assert.equal(await page.getByLabel('Shelving location').getAttribute('list'), 'shelving-locations');
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.close();
});
