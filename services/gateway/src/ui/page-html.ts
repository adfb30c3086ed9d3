/** The status page's document: its structure only; the style and the script are files of their own (see the CSP). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>vault-dr status</title>
<link rel="stylesheet" href="/ui/status-page.css">
<script src="/ui/status-page.js" defer></script>
</head>
<body>
<header>
<h1>vault-dr</h1>
<span id="updated" aria-live="polite"></span>
<button id="forget" type="button" hidden>Forget token</button>
</header>
<main>
<form id="login" hidden>
<label for="token">Gateway read token</label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>
<button type="submit">Open</button>
<p id="login-error" role="alert"></p>
<p class="note">Kept for this tab only and sent as a bearer header, never in a URL. The page only reads: give it the gateway's read token (VAULT_DR_READ_TOKEN). Its API token works too, but can also start and cancel role changes.</p>
</form>
<div id="board" hidden>
<section><h2>Pairs</h2><div id="pairs"></div></section>
<section><h2>Clusters</h2><div id="clusters"></div></section>
<section><h2>Running now</h2><div id="running"></div></section>
<section id="detail-section" hidden><h2 id="detail-title"></h2><div id="detail"></div></section>
<section><h2>History</h2><div id="history"></div></section>
</div>
</main>
</body>
</html>
`
