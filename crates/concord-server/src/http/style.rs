//! The one stylesheet: plain, readable, high-contrast, good on a phone; colours from the member's
//! branding are applied per page through a CSS variable.

pub const CSS: &str = r#"
:root { --brand: #1f5f6b; --brand-text: #ffffff; --ink: #1b1b1b; --muted: #555; --line: #c8c8c8; --bg: #fafafa; --error: #a4001d; --ok: #1d6b2c; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: #0b4f8a; }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #ffbf47; outline-offset: 1px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 8px; z-index: 10; }
header.site { background: var(--brand); color: var(--brand-text); padding: 12px 16px; display: flex; flex-wrap: wrap; gap: 12px; align-items: center; justify-content: space-between; }
header.site a { color: var(--brand-text); }
header.site .name { font-weight: 700; font-size: 1.2rem; text-decoration: none; }
header.site nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 14px; margin: 0; padding: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.6rem; margin: 8px 0 16px; }
.own-script-title { font-size: 1.3rem; margin: -8px 0 16px; }
.responsibility { margin: -8px 0 16px; }
.summary { max-width: 70ch; }
h2 { font-size: 1.25rem; margin-top: 28px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; background: #fff; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eee; }
form.stack label { display: block; font-weight: 600; margin-top: 12px; }
form.stack .hint { font-weight: 400; color: var(--muted); font-size: .9rem; }
input[type=text], input[type=password], input[type=email], input[type=tel], input[type=date], input[type=search], select, textarea { width: 100%; max-width: 32rem; padding: 8px; font: inherit; border: 1px solid #767676; border-radius: 4px; background: #fff; }
textarea { max-width: 100%; }
button, .button { display: inline-block; margin-top: 14px; padding: 9px 18px; font: inherit; font-weight: 600; color: #fff; background: #0b4f8a; border: 0; border-radius: 4px; cursor: pointer; text-decoration: none; }
button.secondary { background: #555; }
.inline { display: inline; }
.errors { border: 2px solid var(--error); padding: 8px 14px; margin: 12px 0; background: #fff; }
.errors h2 { color: var(--error); margin: 4px 0; font-size: 1.1rem; }
.field-error { color: var(--error); font-weight: 600; display: block; }
.notice { border-left: 6px solid var(--ok); background: #fff; padding: 8px 14px; margin: 12px 0; }
.secret { font-family: monospace; word-break: break-all; background: #fff3bf; padding: 8px; }
.swatch { display: inline-block; width: 1em; height: 1em; vertical-align: middle; border: 1px solid #333; margin-right: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px; padding: 0; list-style: none; }
.cards li { background: #fff; border: 1px solid var(--line); border-top: 6px solid var(--brand); padding: 12px; }
.muted { color: var(--muted); }
.marc { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .95rem; white-space: pre-wrap; word-break: break-word; background: #fff; border: 1px solid var(--line); padding: 8px; }
dl dt { font-weight: 600; margin-top: 8px; }
dl dd { margin-left: 1.5rem; }
footer { max-width: 1100px; margin: 24px auto; padding: 0 16px; color: var(--muted); font-size: .9rem; }
.searchbox label { display: block; font-weight: 600; }
.searchrow { display: flex; gap: 8px; max-width: 40rem; }
.searchrow input { flex: 1; max-width: none; }
.searchrow button { margin-top: 0; }
.searchrow { position: relative; }
.suggestions { position: absolute; top: 100%; left: 0; z-index: 5; margin: 2px 0 0; padding: 0; list-style: none; background: #fff; border: 1px solid #767676; border-radius: 4px; box-shadow: 0 4px 12px rgba(0,0,0,.15); max-height: 22rem; overflow-y: auto; }
.suggestions li { padding: 6px 10px; cursor: pointer; }
.suggestions li[aria-selected=true], .suggestions li:hover { background: #0b4f8a; color: #fff; }
.suggestions li[aria-selected=true] .muted, .suggestions li:hover .muted { color: #fff; }
.hint { font-size: .9rem; margin: 4px 0 12px; }
.viewswitch { background: #fff; border-left: 6px solid var(--brand); padding: 8px 12px; }
.results-layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 1fr); gap: 24px; }
.results-layout h2 { margin-top: 8px; }
.hits { padding-left: 1.5em; }
.hits > li { margin: 0 0 14px; }
.hit-title { font-weight: 600; font-size: 1.05rem; }
.avail, .plain, .selected { list-style: none; padding: 0; margin: 2px 0; }
.avail li { display: inline; margin-right: 12px; }
.avail li.own, .avail .branches li { display: block; }
.avail .branches { list-style: none; margin: 0 0 4px 1rem; padding: 0; }
.callno { display: inline-block; }
.facets section h3 { font-size: 1rem; margin: 14px 0 4px; }
.facets ul { list-style: none; padding: 0; margin: 0; }
.facets li, .facet-values li { margin: 3px 0; }
.facets summary { cursor: pointer; margin: 3px 0; }
.facets .all-values { margin: 4px 0 0; }
.facet-values { list-style: none; padding: 0; columns: 18rem; }
.count { color: var(--muted); }
.sort, .pages { margin: 8px 0 14px; }
dl.record { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.record dt { font-weight: 600; grid-column: 1; }
dl.record dd { margin: 0; grid-column: 2; }
table.shelf tr.here td { background: #fff4c2; font-weight: 600; }
form.browse label { display: block; font-weight: 600; margin-top: 8px; }
form.browse select { max-width: 16rem; }
.pager { margin: 8px 0; }
table.browse td:last-child, table.browse th:last-child { white-space: nowrap; width: 1%; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
pre.marc { white-space: pre-wrap; background: #fff; border: 1px solid var(--line); padding: 8px; font-size: .9rem; }
img.logo { max-height: 80px; max-width: 100%; }
.jump { display: none; margin: 4px 0 8px; }
@media (max-width: 760px) { .results-layout { grid-template-columns: 1fr; } .jump { display: block; } dl.record { grid-template-columns: 1fr; } dl.record dd { grid-column: 1; } }
@media print { body { background: #fff; } header.site { background: none; color: #000; padding: 0 0 8px; border-bottom: 1px solid #000; } header.site a, a { color: #000; text-decoration: none; } header.site nav, .skip, .searchbox, .viewswitch, .facets, .jump, .sort, .pages, .feed, footer { display: none; } .results-layout { display: block; } }
@media (max-width: 600px) { th, td { padding: 4px; font-size: .95rem; } .hide-narrow { display: none; } }
"#;
