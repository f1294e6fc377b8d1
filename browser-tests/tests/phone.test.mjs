// Maria's first step on her phone: she opens her home library's catalogue by the address on its
// poster, in its colours, searches, taps down to the facets, narrows to what is on a shelf now and
// opens a record. At a phone's width no page scrolls sideways, every page is accessible (axe-core,
// WCAG 2.1 AA, and WCAG 2.2's minimum target size for taps) and light.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, launchBrowser, accessibilityViolations, pageWeight } from './support.mjs';

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

/** Waits until the server's index has applied every catalogue change (readyz reports both). */
async function waitForIndex(page) {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const ready = await (await page.request.get(demo.url + '/readyz')).json();
    if (ready.search && ready.search.documents > 0 && ready.search.applied_change_seq === ready.search.latest_change_seq) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the search index did not catch up within 30 seconds');
}

/** The number a heading such as "1,234 results" states. */
function count(text) {
  return Number(text.match(/(\d[\d,]*)/)[1].replaceAll(',', ''));
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
  await waitForIndex(page);
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

  // Each library's titles are counted; so are those with a copy on a shelf now.
  const facets = page.getByRole('complementary');
  const libraries = facets.getByRole('heading', { name: 'Library' }).locator('xpath=..');
  const homeLink = libraries.getByRole('link', { name: new RegExp(`^${home.display_name} \\(`) });
  assert.ok(count((await homeLink.textContent()).match(/\(([\d,]+)\)\s*$/)[1]) > 0);
  const availability = facets.getByRole('heading', { name: 'Availability' }).locator('xpath=..');
  const onShelf = availability.getByRole('link').first();
  const onShelfCount = count((await onShelf.textContent()).match(/\(([\d,]+)\)\s*$/)[1]);
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
