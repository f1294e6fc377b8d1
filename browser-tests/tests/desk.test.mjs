// The circulation desk as a librarian with a barcode scanner uses it: scan the desk's branch and a
// patron card, then items one after another (type + Enter), see due dates and the slip; a blocked
// checkout shows its reasons and the override form; a check-in of another branch's item says where
// it goes. The items come from a small MARCXML file imported for the demo's Riverside library.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONCORD_BIN, startDemo, launchBrowser, accessibilityViolations } from './support.mjs';

// Barcodes this test gives its own items (not database ids).
const ON_SHELF = ['DESK-0001', 'DESK-0002'];
const REFERENCE = 'DESK-0003';
const FROM_EAST = 'DESK-0004';

function item(barcode, branch, location) {
  const subfields = [['i', barcode], ['m', branch], ['a', 'FIC SCA'], ['t', 'BOOK']];
  if (location) subfields.push(['l', location]);
  return `<datafield tag="949" ind1=" " ind2=" ">${subfields
    .map(([code, value]) => `<subfield code="${code}">${value}</subfield>`)
    .join('')}</datafield>`;
}

const RECORDS = `<?xml version="1.0" encoding="UTF-8"?>
<collection xmlns="http://www.loc.gov/MARC21/slim">
<record>
<leader>00000nam a2200000 a 4500</leader>
<controlfield tag="001">desk-test-1</controlfield>
<datafield tag="100" ind1="1" ind2=" "><subfield code="a">Scanner, Barbara.</subfield></datafield>
<datafield tag="245" ind1="1" ind2="4"><subfield code="a">The scanning librarian :</subfield><subfield code="b">a desk test.</subfield></datafield>
${item(ON_SHELF[0], 'RIVER-MAIN')}
${item(ON_SHELF[1], 'RIVER-MAIN')}
${item(REFERENCE, 'RIVER-MAIN', 'REFERENCE')}
${item(FROM_EAST, 'RIVER-EAST')}
</record>
</collection>
`;

let demo;
let browser;

before(async () => {
  demo = await startDemo({
    prepare(dataDir) {
      execFileSync(CONCORD_BIN, ['demo', '--data-dir', dataDir, '--no-serve'], { stdio: 'ignore' });
      const file = join(dataDir, 'desk-test.xml');
      writeFileSync(file, RECORDS);
      execFileSync(CONCORD_BIN, ['import', 'marc', '--data-dir', dataDir, '--member', 'RIVER', file], {
        stdio: 'ignore',
      });
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function logInAtTheDesk() {
  const desk = demo.staff('circulation');
  const page = await browser.newPage();
  await page.goto(demo.url + '/login');
  await page.getByLabel('Username').fill(desk.username);
  await page.getByLabel('Password').fill(desk.password);
  await page.keyboard.press('Enter');
  await page.waitForURL(demo.url + '/admin');
  return page;
}

/** Types like a scanner: the characters, then Enter; resolves when the next page has loaded. */
async function scan(page, text) {
  // A scanner types into whatever has the focus: wait until the page has put it in a field (on a
  // loaded machine autofocus can land a moment after the load event), as a person would look.
  await page.waitForFunction(() => document.activeElement?.tagName === 'INPUT');
  await page.keyboard.type(text);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

test('the desk lends by scanner, shows blocks with the override form, and routes returns', async () => {
  const page = await logInAtTheDesk();
  await page.goto(demo.url + '/desk');
  assert.deepEqual(await accessibilityViolations(page), []);

  // The card field has the focus; the desk's branch is one Shift+Tab back.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.type('RIVER-MAIN');
  await page.keyboard.press('Tab');
  await scan(page, demo.credentials.patron.card);
  assert.match(await page.getByRole('heading', { level: 2 }).first().innerText(), /Maria Rossi/);

  // Items one after another; the focus comes back to the item field after each.
  for (const barcode of ON_SHELF) {
    await scan(page, barcode);
    const status = page.getByRole('status');
    assert.match(await status.innerText(), new RegExp(`Lent The scanning librarian.*\\(${barcode}\\), due \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}`));
  }
  await scan(page, FROM_EAST);

  // The due-date slip lists every loan with its due date.
  const slip = page.getByRole('region', { name: 'Due-date slip' });
  for (const barcode of [...ON_SHELF, FROM_EAST]) {
    const row = slip.getByRole('row').filter({ hasText: barcode });
    assert.match(await row.innerText(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/, barcode);
  }
  assert.ok(await slip.getByRole('button', { name: 'Print slip' }).isVisible());
  assert.deepEqual(await accessibilityViolations(page), []);

  // A reference item is not for loan: the reasons, and the override form for staff allowed to.
  await scan(page, REFERENCE);
  const alert = page.getByRole('alert');
  assert.match(await alert.innerText(), /items of type BOOK out; the limit is 0\. Staff may override this\./);
  const reason = page.getByLabel(`Reason for overriding the blocks on ${REFERENCE}`);
  assert.ok(await reason.isVisible());
  assert.deepEqual(await accessibilityViolations(page), []);
  await reason.focus();
  await scan(page, 'Patron needs it for an exam tomorrow');
  assert.match(await page.getByRole('status').innerText(), new RegExp(`\\(${REFERENCE}\\), due`));
  assert.equal(await slip.getByRole('row').filter({ hasText: REFERENCE }).count(), 1);

  // Check-in: home items go to the shelf; the East Side item goes in transit home.
  await page.getByRole('link', { name: 'Go to check-in' }).click();
  assert.equal(await page.getByLabel('Branch code of this desk').inputValue(), 'RIVER-MAIN');
  assert.deepEqual(await accessibilityViolations(page), []);
  await scan(page, ON_SHELF[0]);
  assert.match(await page.getByRole('status').innerText(), /To shelf/);
  await scan(page, FROM_EAST);
  const routing = page.getByRole('status');
  assert.match(await routing.innerText(), /In transit to East Side Branch/);
  assert.match(await routing.innerText(), new RegExp(`Returned: The scanning librarian.*\\(${FROM_EAST}\\)`));
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.close();
});
