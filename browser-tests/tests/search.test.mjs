// Discovery as a patron uses it: search from the front page, narrow by a facet whose count is the
// number of results, see all of a facet's values, open a record and browse the shelf around its copy, use advanced search,
// browse subject headings and titles and open them, choose a heading offered while typing, switch to a member's view and back to all libraries, read a record's contents and links online, and
// follow the suggested spelling of a misspelt search. Every page is accessible (axe-core,
// WCAG 2.1 AA) and light.
// Then Maria's first step on her phone: she opens her home library's catalogue by the address on
// its poster, in its colours, searches, taps down to the facets, narrows to what is on a shelf now
// and opens a record. At a phone's width no page scrolls sideways, and every page also meets
// WCAG 2.2's minimum target size for taps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo, launchBrowser, accessibilityViolations, pageWeight, CONCORD_BIN, waitForIndex, count } from './support.mjs';

// A holdings facet value's counts, `(3 titles, 7 copies)`: a library has at least one copy of
// each title it is counted for.
function holdingsCount(text) {
  const found = text.match(/\((\d[\d,]*) titles?, (\d[\d,]*) cop(?:y|ies)\)\s*$/);
  assert.ok(found, text);
  const held = { titles: count(found[1]), copies: count(found[2]) };
  assert.ok(held.copies >= held.titles, text);
  return held;
}

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'marc');

let demo;
let browser;

/** Loads real records into the demo's data directory with the command line, as an operator would. */
function loadRecords(dataDir) {
  const run = (...args) =>
    execFileSync(CONCORD_BIN, args, { env: { ...process.env, CONCORD_LOG: 'warn', CONCORD_DATA_DIR: dataDir } });
  run('demo', '--no-serve', '--port', '0');
  const river = join(dataDir, 'river.toml');
  writeFileSync(river, '[branches]\nDESMARAIS = "RIVER-MAIN"\nHUNTINGTON = "RIVER-EAST"\n');
  run('import', 'marc', '--member', 'RIVER', '--mapping', river, join(fixtures, 'evergreen', 'lul_fre_100.mrc'));
  const ovsu = join(dataDir, 'ovsu.toml');
  writeFileSync(ovsu, '[branches]\nDESMARAIS = "OVSU-MAIN"\nHUNTINGTON = "OVSU-SCI"\nBR1 = "OVSU-MAIN"\n');
  run('import', 'marc', '--member', 'OVSU', '--mapping', ovsu, join(fixtures, 'evergreen', 'map_data.mrc'));
  // A score with its contents, and Library of Congress records with summaries and links online.
  run('import', 'marc', '--member', 'OVSU', '--mapping', ovsu, join(fixtures, 'evergreen', 'RDA_record_SCORE-CD_Arias_for_soprano.mrc'));
  run('import', 'marc', '--member', 'OVSU', '--mapping', ovsu, join(fixtures, 'marc4j', 'chabon-loc.mrc'));
}

before(async () => {
  demo = await startDemo({ prepare: loadRecords });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test('search, narrow by a facet, open a record, switch member view and back', async () => {
  const page = await browser.newPage();
  await waitForIndex(page, demo);

  await page.goto(demo.url + '/');
  // The front page shows the newest titles.
  assert.ok(await page.locator('section[aria-labelledby="recent-heading"] ol.hits > li').count() > 0);
  assert.deepEqual(await accessibilityViolations(page), [], 'front page');
  // The box is a combobox once its script has run, a search box before.
  await page.locator('#q').fill('');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/search/);
  assert.deepEqual(await accessibilityViolations(page), [], 'search page');

  await page.goto(demo.url + '/search?q=la');
  const heading = await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent();
  const total = count(heading);
  assert.ok(total > 1, heading);
  assert.deepEqual(await accessibilityViolations(page), [], 'results page');
  const weight = await pageWeight(page, page.url());
  assert.ok(weight < 100 * 1024, `results page weighs ${weight} bytes`);

  // Narrow by the first format value: the count on the link is the number of results.
  const facets = page.getByRole('complementary');
  const formatLink = facets.getByRole('heading', { name: 'Format' }).locator('xpath=..').getByRole('link').first();
  const linkText = await formatLink.textContent();
  const facetCount = count(linkText.match(/\(([\d,]+)\)\s*$/)[1]);
  await formatLink.click();
  await page.waitForURL(/format=/);
  const narrowed = await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent();
  assert.equal(count(narrowed), facetCount, `${linkText} vs ${narrowed}`);
  // The narrowing can be removed again.
  await page.getByRole('list', { name: 'Narrowed by' }).getByRole('link', { name: /Remove/ }).click();
  await page.waitForURL((url) => !url.search.includes('format='));

  // Each library says how many of the results it has and how many copies of them: narrowed to
  // one, the results are as many as its titles.
  const libraryLink = facets.getByRole('heading', { name: 'Library' }).locator('xpath=..').getByRole('link').first();
  const held = holdingsCount(await libraryLink.textContent());
  await libraryLink.click();
  await page.waitForURL(/member=/);
  assert.equal(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()), held.titles);
  await page.goto(demo.url + '/search?q=la');

  // A facet shows five values, fifteen more on a click, and all of them on a page of their own.
  const subjects = facets.getByRole('heading', { name: 'Subject' }).locator('xpath=..');
  assert.equal(await subjects.locator(':scope > ul > li').count(), 5);
  const more = subjects.locator('details');
  assert.equal(await more.locator('li').first().isVisible(), false);
  await more.locator('summary').click();
  assert.equal(await more.locator('li').first().isVisible(), true);
  await subjects.getByRole('link', { name: 'See all values of Subject' }).click();
  await page.waitForURL(/\/search\/facet\/subject\?q=la$/);
  assert.deepEqual(await accessibilityViolations(page), [], 'facet values page');
  const valuesWeight = await pageWeight(page, page.url());
  assert.ok(valuesWeight < 100 * 1024, `facet values page weighs ${valuesWeight} bytes`);
  const valueLink = page.locator('ul.facet-values a').first();
  const valueCount = count((await valueLink.textContent()).match(/\(([\d,]+)\)\s*$/)[1]);
  await valueLink.click();
  await page.waitForURL(/\/search\?q=la&subject=/);
  assert.equal(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()), valueCount);
  await page.goto(demo.url + '/search?q=la');

  // Open the first record.
  await page.locator('ol.hits a.hit-title').first().click();
  await page.waitForURL(/\/record\/\d+$/);
  await page.getByRole('heading', { name: 'Copies in our libraries' }).waitFor();
  assert.ok(await page.getByRole('link', { name: 'Download as MARCXML' }).isVisible());
  assert.deepEqual(await accessibilityViolations(page), [], 'record page');
  const recordWeight = await pageWeight(page, page.url());
  assert.ok(recordWeight < 100 * 1024, `record page weighs ${recordWeight} bytes`);

  // Its first copy's call number leads to the shelf around it, in call number order.
  await page.locator('section.holdings td a').first().click();
  await page.waitForURL(/\/shelf\/\d+$/);
  await page.getByRole('heading', { level: 1, name: /^On the shelf at / }).waitFor();
  assert.equal(await page.locator('table.shelf tr[aria-current="true"]').count(), 1);
  assert.deepEqual(await accessibilityViolations(page), [], 'shelf page');
  const shelfWeight = await pageWeight(page, page.url());
  assert.ok(shelfWeight < 100 * 1024, `shelf page weighs ${shelfWeight} bytes`);
  await page.goBack();

  // A member's view: branded, its holdings first, one click back to all libraries.
  // Open a record Riverside holds, from Riverside's own view narrowed to its copies.
  await page.goto(demo.url + '/m/RIVER/search?q=la&member=RIVER');
  await page.getByText('You are searching').waitFor();
  await page.locator('ol.hits a.hit-title').first().click();
  await page.waitForURL(/\/record\/\d+$/);
  await page.getByText('You are searching').waitFor();
  const firstLibrary = await page.locator('section.holdings h3').first().textContent();
  assert.match(firstLibrary, /Riverside/);
  // Printed, a record keeps its description and copies, not the menus or the view's notice.
  await page.emulateMedia({ media: 'print' });
  for (const chrome of ['header.site nav', 'p.viewswitch', 'footer']) {
    assert.equal(await page.locator(chrome).isVisible(), false, `${chrome} when printed`);
  }
  assert.equal(await page.locator('section.holdings').first().isVisible(), true);
  await page.emulateMedia({ media: 'screen' });
  assert.deepEqual(await accessibilityViolations(page), [], 'member record page');
  await page.goto(demo.url + '/m/RIVER/search?q=la');
  assert.deepEqual(await accessibilityViolations(page), [], 'member results page');
  await page.getByRole('link', { name: 'Search all libraries' }).click();
  await page.waitForURL(demo.url + '/search?q=la');
  assert.equal(await page.getByText('You are searching').count(), 0);

  // Advanced search: labelled fields and limits, written as an ordinary search.
  await page.goto(demo.url + '/search?q=la');
  await page.getByRole('link', { name: 'Advanced search' }).click();
  await page.waitForURL(/\/search\/advanced$/);
  assert.deepEqual(await accessibilityViolations(page), [], 'advanced search page');
  await page.getByLabel('Title').fill('la');
  await page.getByLabel('From the year').fill('1900');
  await page.getByRole('button', { name: 'Search' }).last().click();
  await page.waitForURL(/\/search\?q=title%3A%28la%29%20year%3A%5B1900%20TO%20%2A%5D$/);
  assert.ok(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()) > 0);

  // Browse subjects from what a patron types: each heading's count is the number of results.
  await page.goto(demo.url + '/search?q=la');
  await page.getByRole('link', { name: 'Browse titles, authors, subjects and series' }).click();
  await page.waitForURL(/\/browse$/);
  await page.getByLabel('Browse').selectOption('subject');
  await page.getByLabel('Starting from').fill('hist');
  await page.getByRole('button', { name: 'Browse' }).click();
  await page.waitForURL(/\/browse\?kind=subject&from=hist$/);
  assert.deepEqual(await accessibilityViolations(page), [], 'browse page');
  const browseWeight = await pageWeight(page, page.url());
  assert.ok(browseWeight < 100 * 1024, `browse page weighs ${browseWeight} bytes`);
  const firstHeading = page.locator('table.browse tbody tr').first();
  const titles = count(await firstHeading.locator('td').last().textContent());
  await firstHeading.getByRole('link').click();
  await page.waitForURL(/\/search\?subject_heading=/);
  assert.equal(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()), titles);
  // Titles browse as they file; a title of several editions leads to exactly those.
  await page.goto(demo.url + '/browse');
  await page.getByLabel('Browse').selectOption('title');
  await page.getByLabel('Starting from').fill('the');
  await page.getByRole('button', { name: 'Browse' }).click();
  await page.waitForURL(/\/browse\?kind=title&from=the$/);
  assert.deepEqual(await accessibilityViolations(page), [], 'title browse page');
  const rows = page.locator('table.browse tbody tr');
  assert.ok(await rows.count() > 0);
  const editions = await rows.locator('td:last-child').allTextContents();
  const several = editions.findIndex((text) => count(text) > 1);
  if (several >= 0) {
    await rows.nth(several).getByRole('link').click();
    await page.waitForURL(/\/search\?filing_title=/);
    assert.equal(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()), count(editions[several]));
  } else {
    await rows.first().getByRole('link').click();
    await page.waitForURL(/\/record\/\d+$/);
  }

  // Typing in the search box offers headings that begin with the text; the keyboard chooses
  // one, and its count is the number of results.
  await page.goto(demo.url + '/');
  const box = page.getByRole('combobox', { name: 'Search the catalogue' });
  await box.pressSequentially('hist', { delay: 50 });
  const offered = page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option');
  await offered.first().waitFor();
  assert.equal(await box.getAttribute('aria-expanded'), 'true');
  assert.deepEqual(await accessibilityViolations(page), [], 'front page with suggestions');
  // Titles come first ("title · 3 editions", or "title" for one record), then headings
  // ("subject · 12 titles"). Down to the first heading.
  const labels = await offered.locator('.muted').allTextContents();
  const headingAt = labels.findIndex((label) => !label.startsWith('title'));
  assert.ok(headingAt >= 0, labels.join(' | '));
  for (let step = 0; step <= headingAt; step += 1) await box.press('ArrowDown');
  const chosen = page.getByRole('option', { selected: true });
  assert.equal(await box.getAttribute('aria-activedescendant'), await chosen.getAttribute('id'));
  // The number after the dot (a name's dates may come before it).
  const offeredTitles = count(labels[headingAt].split('·').pop());
  await box.press('Enter');
  await page.waitForURL(/\/search\?(author|subject_heading|series_heading)=/);
  assert.equal(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()), offeredTitles);
  // A title offered leads to its one record, or to exactly its editions.
  await page.goto(demo.url + '/');
  await box.pressSequentially('hist', { delay: 50 });
  await offered.first().waitFor();
  const titleLabel = await offered.first().locator('.muted').textContent();
  assert.ok(titleLabel.startsWith('title'), titleLabel);
  await offered.first().click();
  if (titleLabel.includes('·')) {
    await page.waitForURL(/\/search\?filing_title=/);
    assert.equal(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()),
      count(titleLabel.split('·').pop()));
  } else {
    await page.waitForURL(/\/record\/\d+$/);
  }
  // Escape closes the list, and Enter then searches for the words typed.
  await page.goto(demo.url + '/');
  await box.pressSequentially('hist', { delay: 50 });
  await offered.first().waitFor();
  await box.press('Escape');
  assert.equal(await box.getAttribute('aria-expanded'), 'false');
  await box.press('Enter');
  await page.waitForURL(/\/search\?q=hist$/);

  // A misspelt search finds nothing and offers the catalogue's spelling, one click away.
  await page.goto(demo.url + '/search?q=hsitoire');
  assert.equal(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()), 0);
  await page.getByText('Did you mean:').waitFor();
  assert.deepEqual(await accessibilityViolations(page), [], 'results page with a suggestion');
  await page.getByRole('link', { name: 'histoire', exact: true }).click();
  await page.waitForURL(/\/search\?q=histoire$/);
  assert.ok(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()) > 0);

  // A record page describes the record: its contents, summary and links online.
  await page.goto(demo.url + '/search?q=' + encodeURIComponent('title:"arias for soprano"'));
  await page.locator('ol.hits a.hit-title').first().click();
  await page.waitForURL(/\/record\/\d+$/);
  await page.getByRole('heading', { name: 'Contents' }).waitFor();
  assert.equal(await page.locator('ul.contents li').count(), 23);
  assert.match(await page.locator('p.responsibility').textContent(), /Robert L\. Larsen/);
  assert.deepEqual(await accessibilityViolations(page), [], 'record page with contents');
  await page.goto(demo.url + '/search?q=' + encodeURIComponent('title:"kavalier and clay"'));
  await page.locator('ol.hits a.hit-title').first().click();
  await page.waitForURL(/\/record\/\d+$/);
  await page.getByRole('heading', { name: 'Online' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Sample text' }).getAttribute('href'),
    'http://www.loc.gov/catdir/samples/random044/00029063.html');
  assert.deepEqual(await accessibilityViolations(page), [], 'record page with links online');
  await page.close();
});

/** A phone of today: 390 by 844 CSS pixels, touch, and a phone's user agent behaviour. */
async function phonePage() {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
  });
  return context.newPage();
}

/** Fails when the page is wider than the phone's screen, naming what sticks out. */
async function fitsTheScreen(page, what) {
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > width + 1)
      .map((element) => `${element.tagName.toLowerCase()}.${element.className}`);
    return { scrolls: document.documentElement.scrollWidth > width, wide: wide.slice(0, 5) };
  });
  assert.deepEqual(overflow, { scrolls: false, wide: [] }, `${what} is wider than the phone`);
}

/** axe-core's WCAG 2.1 A and AA rules, and the 24-pixel minimum target size of WCAG 2.2 AA. */
async function phoneViolations(page, what) {
  assert.deepEqual(await accessibilityViolations(page, { rules: ['target-size'] }), [], what);
}

/** The background colour of the page's header, as the browser computes it. */
function headerColour(page) {
  return page.locator('header.site').evaluate((header) => getComputedStyle(header).backgroundColor);
}

/** "#1f5f8b" as a computed style writes it: "rgb(31, 95, 139)". */
function rgb(hex) {
  const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

test('Maria searches her library on her phone, narrows to copies on a shelf now and opens a record', async () => {
  const page = await phonePage();
  await waitForIndex(page, demo);
  const members = await (await page.request.get(demo.url + '/api/v1/members')).json();
  const home = members.find((member) => member.code === 'RIVER');
  assert.ok(home, JSON.stringify(members));

  // The poster's address ends in a slash, as printed addresses do; it leads to her library's view.
  await page.goto(demo.url + '/m/RIVER/');
  assert.equal(page.url(), demo.url + '/m/RIVER');
  assert.equal(await headerColour(page), rgb(home.colour));
  await fitsTheScreen(page, 'the front page');
  await phoneViolations(page, 'front page');

  // She searches with her thumb.
  await page.getByRole('combobox', { name: 'Search the catalogue' }).fill('jazz');
  await page.getByRole('button', { name: 'Search' }).tap();
  await page.waitForURL(/\/m\/RIVER\/search\?q=jazz/);
  const total = count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent());
  assert.ok(total > 1, `${total} results`);
  await fitsTheScreen(page, 'the results page');
  await phoneViolations(page, 'results page');
  const weight = await pageWeight(page, page.url());
  assert.ok(weight < 100 * 1024, `results page weighs ${weight} bytes`);

  // The facets follow the results on a phone; one tap at the top brings them into view.
  const facetsHeading = page.getByRole('heading', { level: 2, name: 'Narrow your search' });
  assert.equal(await facetsHeading.isVisible(), true);
  assert.equal(await inView(page, facetsHeading), false, 'the facets start below the first screen');
  await page.getByRole('link', { name: 'Narrow these results' }).tap();
  await page.waitForURL(/#facets-heading$/);
  await page.waitForFunction(() => {
    const top = document.getElementById('facets-heading').getBoundingClientRect().top;
    return Math.abs(top) < window.innerHeight / 2;
  });

  // Each library's titles and copies are counted; so are those on a shelf now.
  const facets = page.getByRole('complementary');
  const libraries = facets.getByRole('heading', { name: 'Library' }).locator('xpath=..');
  const homeLink = libraries.getByRole('link', { name: new RegExp(`^${home.display_name} \\(`) });
  assert.ok(holdingsCount(await homeLink.textContent()).titles > 0);
  const availability = facets.getByRole('heading', { name: 'Availability' }).locator('xpath=..');
  const onShelf = availability.getByRole('link').first();
  const onShelfCount = holdingsCount(await onShelf.textContent()).titles;
  await onShelf.tap();
  await page.waitForURL(/available=/);
  assert.equal(count(await page.getByRole('heading', { level: 2, name: /results?$/ }).textContent()), onShelfCount);

  // And back up to the results from the foot of the facets.
  await page.getByRole('link', { name: 'Back to the results' }).tap();
  await page.waitForURL(/#results-heading$/);

  // The first title: its copies, grouped by library, fit the screen.
  await page.locator('ol.hits a.hit-title').first().tap();
  await page.waitForURL(/\/m\/RIVER\/record\/\d+$/);
  await page.getByRole('heading', { name: 'Copies in our libraries' }).waitFor();
  // Whether a copy is on a shelf, and where, shows on the first screen; every copy further down.
  const summary = page.locator('p.shelf-summary');
  assert.equal(await inView(page, summary), true, 'the shelf summary is on the first screen');
  assert.match(await summary.textContent(), /\d+ of \d+ cop(y|ies) on a shelf now/);
  assert.match(await page.locator('section.holdings h3').first().textContent(), new RegExp(home.display_name));
  await fitsTheScreen(page, 'the record page');
  await phoneViolations(page, 'record page');

  // Browsing subjects, and the facet's page of every value, fit too.
  await page.goto(demo.url + '/m/RIVER/browse?kind=subject&from=hist');
  await fitsTheScreen(page, 'the browse page');
  await phoneViolations(page, 'browse page');
  await page.goto(demo.url + '/m/RIVER/search/facet/subject?q=jazz');
  await fitsTheScreen(page, 'the facet values page');
  await phoneViolations(page, 'facet values page');
  await page.close();
});

/** Whether any of the element lies within the screen as it is scrolled now. */
async function inView(page, locator) {
  const box = await locator.boundingBox();
  const height = page.viewportSize().height;
  return box !== null && box.y < height && box.y + box.height > 0;
}
