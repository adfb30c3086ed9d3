/** The status page's style: one column on a phone, health as colour and as words (never colour alone). */
export const PAGE_CSS = `
:root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --unknown: #6e7781; --line: #d0d7de; --muted: #57606a;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #f6f8fa; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .6rem 1rem; background: #24292f;
  color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
#updated { font-size: .85rem; opacity: .85; flex: 1; }
#updated[data-health="bad"] { color: #ffb3b3; opacity: 1; }
#updated[data-health="warn"] { color: #ffe08a; opacity: 1; }
main { max-width: 72rem; margin: 0 auto; padding: .5rem 1rem 2rem; overflow-wrap: anywhere; }
h2 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
h3 { font-size: .95rem; margin: .8rem 0 .3rem; }
button { font: inherit; padding: .35rem .8rem; border: 1px solid var(--line); border-radius: 6px; background: #fff;
  cursor: pointer; }
form#login { display: grid; gap: .5rem; max-width: 26rem; margin: 2rem auto; padding: 1rem; background: #fff;
  border: 1px solid var(--line); border-radius: 8px; }
input { font: inherit; padding: .45rem; border: 1px solid var(--line); border-radius: 6px; width: 100%; }
#login-error { color: var(--bad); margin: 0; min-height: 1.2em; }
.note, .muted { color: var(--muted); font-size: .85rem; }
.cards { display: grid; gap: .6rem; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); }
.card { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--unknown); border-radius: 8px;
  padding: .6rem .8rem; cursor: pointer; min-width: 0; overflow-wrap: anywhere; }
.card[data-health="ok"] { border-left-color: var(--ok); }
.card[data-health="warn"] { border-left-color: var(--warn); }
.card[data-health="bad"] { border-left-color: var(--bad); }
.card .title { display: flex; justify-content: space-between; gap: .5rem; font-weight: 600; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem; font-weight: 600; color: #fff;
  background: var(--unknown); white-space: nowrap; }
.badge[data-level="ok"], .badge[data-level="pass"], .badge[data-level="succeeded"] { background: var(--ok); }
.badge[data-level="warn"], .badge[data-level="running"], .badge[data-level="pending"] { background: var(--warn); }
.badge[data-level="bad"], .badge[data-level="fail"], .badge[data-level="failed"] { background: var(--bad); }
ul.reasons, ol.steps, ul.checks { margin: .3rem 0 0; padding-left: 1.1rem; }
.fix { color: var(--muted); font-size: .85rem; }
ol.steps li[data-status="running"] { font-weight: 600; }
ol.steps li[data-status="failed"] { color: var(--bad); }
table { width: 100%; table-layout: fixed; border-collapse: collapse; background: #fff; border: 1px solid var(--line); font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
tbody tr { cursor: pointer; }
tbody tr:hover, .card:hover { background: #f0f3f6; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: .3rem 0; }
dt { color: var(--muted); }
dd { margin: 0; min-width: 0; }
#detail { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
@media (max-width: 40rem) {
  .hide-narrow { display: none; }
  main { padding: .5rem .5rem 2rem; }
}
`
