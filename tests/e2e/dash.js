#!/usr/bin/env node
// dash.js: drives the taskdispatcher web dashboard in a real headless
// Chromium (Debian's /usr/bin/chromium through playwright-core) for one
// scenario, and prints exactly one JSON line for
// tests/integration/test_dashboard.py to assert on.
//
//   node dash.js --base URL [--out DIR] SCENARIO [JSON-ARGS]
//
// URL is the dashboard's base (http://127.0.0.1:PORT/ or .../tasks/).
// DIR receives the screenshots (NAME-light.png, NAME-dark.png,
// NAME-phone.png).  The line is
//   {"ok":true,"scenario":S,"result":{...}}              exit 0
//   {"ok":false,"scenario":S,"step":"...","error":"..."} exit 1
// The browser's console errors and uncaught page errors are collected in
// result.page_errors (the pytest side asserts there are none).
//
// Elements are found by their data-test attribute only (the list is at
// the top of src/dash/app.js).
//
// TD_CHROMIUM overrides /usr/bin/chromium; TD_E2E_TRACE=1 prints each
// step with its time to stderr.
'use strict';

const fs = require('fs');
const path = require('path');

let chromium;
try {
	({chromium} = require('playwright-core'));
} catch (e) {
	console.log(JSON.stringify({ok: false, step: 'require', error:
	    'tests/e2e/node_modules missing? run `npm ci --prefix tests/e2e`: ' +
	    e.message}));
	process.exit(2);
}

const CHROMIUM = process.env.TD_CHROMIUM || '/usr/bin/chromium';
const VIEWS = {
	light: {viewport: {width: 1280, height: 860}, colorScheme: 'light'},
	dark: {viewport: {width: 1280, height: 860}, colorScheme: 'dark'},
	phone: {viewport: {width: 390, height: 844}, colorScheme: 'light',
	    isMobile: true, hasTouch: true}
};

const opt = {base: '', out: ''};
const rest = [];
{
	const av = process.argv.slice(2);
	for (let i = 0; i < av.length; i++) {
		const m = /^--(base|out)$/.exec(av[i]);
		if (m && i + 1 < av.length)
			opt[m[1]] = av[++i];
		else
			rest.push(av[i]);
	}
}
const scenario = rest[0];
const args = rest[1] ? JSON.parse(rest[1]) : {};
let stepName = 'start';
const T0 = Date.now();
const trace = !!process.env.TD_E2E_TRACE;
/* step = '...' names what runs now (for the failure line). */
Object.defineProperty(globalThis, 'step', {
	get: () => stepName,
	set: (v) => {
		if (trace)
			console.error(((Date.now() - T0) / 1000).toFixed(2) + ' ' + v);
		stepName = v;
	}
});
const pageErrors = [];

const sel = (name) => `[data-test="${name}"]`;

async function newPage(browser, view) {
	const ctx = await browser.newContext(VIEWS[view || 'light']);
	ctx.setDefaultTimeout(10000);
	const page = await ctx.newPage();
	page.on('pageerror', e => pageErrors.push('pageerror: ' + e.message));
	page.on('console', m => {
		/* An API error answer (401, 403, 400 the scenario provokes
		 * on purpose) is logged by Chromium as a failed resource:
		 * the app shows it, it is not an app error. */
		if (m.type() === 'error' &&
		    !/^Failed to load resource: the server responded/.test(
		    m.text()))
			pageErrors.push('console: ' + m.text());
	});
	return page;
}

async function go(page, hash) {
	await page.goto(opt.base + hash);
}

async function text(page, name) {
	return (await page.locator(sel(name)).first().innerText()).trim();
}

async function visible(page, name) {
	return await page.locator(sel(name)).first().isVisible();
}

async function count(page, name) {
	return await page.locator(sel(name)).count();
}

async function waitToast(page, re) {
	const t = page.locator(sel('toast')).filter({hasText: re});
	await t.first().waitFor();
	return (await t.first().innerText()).trim();
}

async function waitText(page, name, want, timeout) {
	await page.waitForFunction(([s, w]) => {
		const el = document.querySelector(s);
		return el && el.textContent.trim() === w;
	}, [sel(name), want], {timeout: timeout || 10000});
}

/* The page fits the viewport's width: nothing to scroll sideways. */
async function overflow(page) {
	return await page.evaluate(() => {
		const de = document.documentElement;
		return {scroll_width: de.scrollWidth, width: innerWidth,
		    fits: de.scrollWidth <= innerWidth};
	});
}

/* Each page ([name, hash, ready]) in each view: its width, and with
 * --out a screenshot.  One browser context per view. */
async function shoot(browser, pages) {
	const out = {};
	for (const view of Object.keys(VIEWS)) {
		const page = await newPage(browser, view);
		for (const [name, hash, ready] of pages) {
			step = `screenshot ${name} ${view}`;
			await go(page, hash);
			await page.locator(sel(ready)).first().waitFor();
			/* the chart and relative times settle */
			await page.waitForTimeout(200);
			const o = await overflow(page);
			if (opt.out) {
				const f = path.join(opt.out, `${name}-${view}.png`);
				await page.screenshot({path: f, fullPage: true});
				o.file = f;
			}
			(out[name] = out[name] || {})[view] = o;
		}
		await page.context().close();
	}
	return out;
}

async function rows(page, name, attr) {
	return await page.locator(sel(name)).evaluateAll((els, a) =>
	    els.map(e => e.getAttribute(a)), attr);
}

/* POST from inside the page (same origin, cookie, CSRF header): what
 * a script running in the dashboard could do. */
async function pagePost(page, url, withCsrf) {
	return await page.evaluate(async ([u, c]) => {
		const r = await fetch(u, {method: 'POST', headers: c ?
		    {'X-TD-CSRF': '1', 'Content-Type': 'application/json'} :
		    {'Content-Type': 'application/json'}, body: '{}'});
		return {status: r.status, body: await r.text()};
	}, [url, withCsrf]);
}

async function pageGet(page, url) {
	return await page.evaluate(async (u) => {
		const r = await fetch(u);
		return {status: r.status, body: await r.text()};
	}, url);
}

const SCENARIOS = {
	/* Overview, a queue, a task; screenshots of the three in every view;
	 * the keyboard.  args: queue, task (a dead task of queue). */
	async tour(browser, a) {
		const res = {};
		let page = await newPage(browser);
		step = 'overview';
		await go(page, '');
		await page.locator(sel('queue-row')).first().waitFor();
		res.title = await page.title();
		res.queues = await rows(page, 'queue-row', 'data-queue');
		const row = page.locator(`${sel('queue-row')}[data-queue="${a.queue}"]`);
		res.queue_state = (await row.locator(sel('queue-state')).innerText()).trim();
		res.queue_dead = (await row.locator(sel('queue-dead')).innerText()).trim();
		res.count_dead = await text(page, 'count-dead');
		res.redis_version = await text(page, 'redis-version');
		res.redis_aof = await text(page, 'redis-aof');
		res.redis_memory = await text(page, 'redis-memory');
		res.chart_svg = await page.locator(sel('chart') + ' svg').count();
		res.chart_label = await page.locator(sel('chart') + ' svg')
		    .getAttribute('aria-label');
		res.ro_badge = await visible(page, 'ro-badge');
		res.updated = await text(page, 'updated');

		step = 'auto refresh every 2 s';
		await page.locator(sel('refresh-interval')).selectOption('2');
		const u0 = await text(page, 'updated');
		await page.waitForFunction(([s, u]) =>
		    document.querySelector(s).textContent !== u,
		    [sel('updated'), u0], {timeout: 5000});
		res.refreshed = true;
		step = 'auto refresh paused';
		await page.locator(sel('refresh-pause')).click();
		res.pause_pressed = await page.locator(sel('refresh-pause'))
		    .getAttribute('aria-pressed');
		const u1 = await text(page, 'updated');
		await page.waitForTimeout(2600);
		res.paused_still = (await text(page, 'updated')) === u1;
		await page.locator(sel('refresh-pause')).click();
		res.prefs = await page.evaluate(() => [
		    localStorage.getItem('td.refresh'),
		    localStorage.getItem('td.paused')]);
		step = 'keyboard: ? opens the help';
		await page.locator('body').press('?');
		res.help_open = await page.locator(sel('help-dialog')).isVisible();
		await page.keyboard.press('Escape');
		res.help_closed = !await page.locator(sel('help-dialog')).isVisible();
		step = 'keyboard: Tab focus is visible';
		await page.keyboard.press('Tab');
		await page.keyboard.press('Tab');
		res.focus = await page.evaluate(() => {
			const el = document.activeElement;
			const cs = getComputedStyle(el);
			return {tag: el.tagName, test: el.dataset.test || null,
			    outline: cs.outlineStyle, width: cs.outlineWidth};
		});
		step = 'keyboard: Enter on a queue link opens it';
		await row.locator(sel('queue-link')).focus();
		await page.keyboard.press('Enter');
		await page.locator(sel('queue-page')).waitFor();
		res.queue_hash = await page.evaluate(() => location.hash);
		res.queue_title = await text(page, 'queue-title');

		step = 'queue: dead tab';
		await page.locator(sel('tab-dead')).click();
		await page.locator(`${sel('task-row')}[data-id="${a.task}"]`).waitFor();
		res.dead_hash = await page.evaluate(() => location.hash);
		res.dead_rows = await rows(page, 'task-row', 'data-id');
		step = 'queue: / focuses the filter, which filters by URL';
		await page.locator('body').press('/');
		res.filter_focused = await page.evaluate(() =>
		    document.activeElement.dataset.test === 'filter');
		await page.keyboard.type(a.filter || 'no-such-url-substring');
		await page.waitForFunction((s) => !document.querySelector(s),
		    `${sel('task-row')}[data-id="${a.task}"]`);
		res.filtered_rows = await rows(page, 'task-row', 'data-id');
		res.filtered_hash = await page.evaluate(() => location.hash);
		await page.locator(sel('filter')).fill('');
		await page.locator(`${sel('task-row')}[data-id="${a.task}"]`).waitFor();

		step = 'task page';
		await page.locator(`${sel('task-row')}[data-id="${a.task}"] ` +
		    sel('task-link')).click();
		await page.locator(sel('task-page')).waitFor();
		await page.locator(sel('task-state')).waitFor();
		res.task = {};
		for (const f of ['id', 'queue', 'state', 'url', 'method', 'attempts',
		    'last_status', 'last_error'])
			res.task[f] = await text(page, 'task-field-' + f);
		res.task.headers = await page.locator(sel('header-row')).evaluateAll(
		    els => Object.fromEntries(els.map(e => [e.dataset.name,
		    e.children[1].textContent])));
		res.task.body = await page.locator(sel('task-body')).innerText();
		res.task.body_json = await page.locator(sel('task-body'))
		    .getAttribute('data-json');
		res.task.history = await page.locator(sel('history-row')).evaluateAll(
		    els => els.map(e => Array.from(e.children, c =>
		    c.textContent.trim())));
		res.task.actions = {
			retry: await count(page, 'task-retry'),
			run: await count(page, 'task-run'),
			delete: await count(page, 'task-delete')
		};
		step = 'keyboard: g o back to the overview';
		await page.locator('body').press('g');
		await page.locator('body').press('o');
		await page.locator(sel('overview')).waitFor();
		res.back_hash = await page.evaluate(() => location.hash);
		await page.context().close();

		if (a.shots !== false)
			res.shots = await shoot(browser, [
			    ['overview', '', 'queue-row'],
			    ['queue', `#/queues/${a.queue}?state=dead`, 'task-row'],
			    ['task', `#/tasks/${a.task}`, 'task-state']]);
		return res;
	},

	/* A dead task's Retry button.  args: task. */
	async retry(browser, a) {
		const res = {};
		const page = await newPage(browser);
		step = 'open the dead task';
		await go(page, `#/tasks/${a.task}`);
		await waitText(page, 'task-state', 'dead');
		res.before = await text(page, 'task-state');
		step = 'click Retry';
		await page.locator(sel('task-retry')).click();
		res.toast = await waitToast(page, /pending/);
		step = 'the page shows it done';
		/* refreshed by hand (r) until the worker is through */
		const deadline = Date.now() + 10000;
		for (;;) {
			await page.locator('body').press('r');
			await page.waitForTimeout(250);
			res.after = await text(page, 'task-state');
			if (res.after === 'done' || Date.now() > deadline)
				break;
		}
		res.history = await count(page, 'history-row');
		res.last_status = await text(page, 'task-field-last_status');
		return res;
	},

	/* Select rows, bulk delete (with the confirmation), then "all in
	 * this state" + retry.  args: queue, remove (ids). */
	async bulk(browser, a) {
		const res = {};
		const page = await newPage(browser);
		if (a.page_size) {
			step = 'pages of page_size';
			await go(page, `#/queues/${a.queue}?state=dead&page_size=` +
			    a.page_size);
			await page.locator(sel('task-row')).first().waitFor();
			res.pages = [];
			for (let i = 0; i < 20; i++) {
				res.pages.push(await rows(page, 'task-row', 'data-id'));
				if (await page.locator(sel('next-page')).isDisabled())
					break;
				const first = res.pages[i][0];
				await page.locator(sel('next-page')).click();
				await page.waitForFunction((s) =>
				    !document.querySelector(s), `${sel('task-row')}` +
				    `[data-id="${first}"]`);
			}
			res.last_info = await text(page, 'page-info');
			await page.locator(sel('prev-page')).click();
			await waitText(page, 'page-info',
			    'page ' + (res.pages.length - 1));
			res.back = await rows(page, 'task-row', 'data-id');
		}
		step = 'open the dead tab';
		await go(page, `#/queues/${a.queue}?state=dead`);
		await page.locator(sel('task-row')).first().waitFor();
		res.before = await rows(page, 'task-row', 'data-id');
		step = 'select rows';
		for (const id of a.remove)
			await page.locator(`${sel('task-check')}[data-id="${id}"]`).check();
		res.selected = await text(page, 'selection-count');
		step = 'bulk delete, cancelled';
		await page.locator(sel('bulk-delete')).click();
		await page.locator(sel('confirm-dialog')).waitFor();
		res.confirm_text = await text(page, 'confirm-text');
		await page.locator(sel('confirm-cancel')).click();
		res.after_cancel = await rows(page, 'task-row', 'data-id');
		step = 'bulk delete, confirmed';
		await page.locator(sel('bulk-delete')).click();
		await page.locator(sel('confirm-ok')).click();
		res.delete_toast = await waitToast(page, /Deleted/);
		await page.waitForFunction(([s, n]) =>
		    document.querySelectorAll(s).length === n,
		    [sel('task-row'), res.before.length - a.remove.length]);
		res.after_delete = await rows(page, 'task-row', 'data-id');
		step = 'all in this state, retry';
		await page.locator(sel('select-all-state')).check();
		res.all_selected = await text(page, 'selection-count');
		res.retry_label = await text(page, 'bulk-retry');
		await page.locator(sel('bulk-retry')).click();
		res.retry_toast = await waitToast(page, /to pending/);
		await page.locator(sel('empty')).waitFor();
		res.after_retry = await rows(page, 'task-row', 'data-id');
		return res;
	},

	/* Pause or resume (args.action) a queue from its page. */
	async pause(browser, a) {
		const res = {};
		const page = await newPage(browser);
		const pause = a.action === 'pause';
		step = 'open the queue';
		await go(page, `#/queues/${a.queue}`);
		await page.locator(sel('queue-state')).waitFor();
		res.before = await text(page, 'queue-state');
		step = pause ? 'click Pause' : 'click Resume';
		await page.locator(sel(pause ? 'queue-pause' : 'queue-resume')).click();
		res.toast = await waitToast(page, pause ? /paused/ : /resumed/);
		await waitText(page, 'queue-state', pause ? 'paused' : 'running');
		res.after = await text(page, 'queue-state');
		res.other_button = await count(page, pause ? 'queue-resume' :
		    'queue-pause');
		if (pause) {
			step = 'overview shows it paused';
			await go(page, '');
			const row = page.locator(`${sel('queue-row')}[data-queue="${a.queue}"]`);
			res.overview_state = (await row.locator(sel('queue-state'))
			    .innerText()).trim();
		}
		return res;
	},

	/* Purge a queue: the dialog, then the empty queue. args: queue. */
	async purge(browser, a) {
		const res = {};
		const page = await newPage(browser);
		step = 'open the queue';
		await go(page, `#/queues/${a.queue}?state=scheduled`);
		await page.locator(sel('task-row')).first().waitFor();
		res.before = await count(page, 'task-row');
		step = 'purge';
		await page.locator(sel('queue-purge')).click();
		res.confirm_title = await text(page, 'confirm-title');
		await page.locator(sel('confirm-ok')).click();
		res.toast = await waitToast(page, /Purged/);
		await page.locator(sel('empty')).waitFor();
		res.after = await count(page, 'task-row');
		return res;
	},

	/* The enqueue form.  args: queue, url, method, headers (text), body,
	 * delay; bad_url: first submit a bad URL and read the error. */
	async enqueue(browser, a) {
		const res = {};
		const page = await newPage(browser);
		step = 'open the form from the nav';
		await go(page, '');
		await page.locator(sel('nav-enqueue')).click();
		await page.locator(sel('enqueue-form')).waitFor();
		if (a.bad_url) {
			step = 'a bad URL is refused';
			await page.locator(sel('enqueue-url')).fill(a.bad_url);
			await page.locator(sel('enqueue-submit')).click();
			await page.locator(sel('enqueue-error')).waitFor();
			res.bad_error = await text(page, 'enqueue-error');
		}
		step = 'fill in and submit';
		await page.locator(sel('enqueue-queue')).selectOption(a.queue);
		await page.locator(sel('enqueue-method')).selectOption(a.method);
		await page.locator(sel('enqueue-url')).fill(a.url);
		await page.locator(sel('enqueue-headers')).fill(a.headers || '');
		await page.locator(sel('enqueue-body')).fill(a.body || '');
		await page.locator(sel('enqueue-delay')).fill(String(a.delay || 0));
		await page.locator(sel('enqueue-submit')).click();
		await page.locator(sel('enqueue-task-link')).waitFor();
		res.task_id = await text(page, 'enqueue-task-link');
		res.error_hidden = !await visible(page, 'enqueue-error');
		step = 'follow the link to the task';
		await page.locator(sel('enqueue-task-link')).click();
		await page.locator(sel('task-page')).waitFor();
		res.task_url = await text(page, 'task-field-url');
		res.task_method = await text(page, 'task-field-method');
		return res;
	},

	/* Server strings that look like markup stay text: a task whose URL,
	 * headers, body and last error hold HTML, and hash routes that name
	 * a queue or a task with it.  Nothing runs (window.__xss stays
	 * unset), no element or inline handler appears, and the page logs
	 * no CSP refusal (page_errors).  args: queue, state, task. */
	async hostile(browser, a) {
		const res = {};
		const page = await newPage(browser);
		const probe = async () => await page.evaluate(() => {
			let handlers = 0;
			for (const el of document.querySelectorAll('*'))
				for (const at of el.attributes)
					if (/^on/i.test(at.name))
						handlers++;
			return {xss: window.__xss === undefined ? null :
			    String(window.__xss), handlers: handlers,
			    injected: document.querySelectorAll('main img, ' +
			    'main iframe, main script, main object, main embed, ' +
			    'main svg [onload], main b, main a[href^="javascript"]')
			    .length};
		});
		step = 'the task';
		await go(page, '#/tasks/' + encodeURIComponent(a.task));
		await page.locator(sel('task-page')).waitFor();
		await page.locator(sel('header-row')).first().waitFor();
		res.url = await text(page, 'task-field-url');
		res.headers = await page.locator(sel('task-headers')).innerText();
		res.body = await text(page, 'task-body');
		res.task = await probe();
		step = 'the queue list';
		await go(page, '#/queues/' + encodeURIComponent(a.queue) +
		    '?state=' + a.state);
		await page.locator(`${sel('task-row')}[data-id="${a.task}"]`)
		    .waitFor();
		res.row = (await page.locator(`${sel('task-row')}` +
		    `[data-id="${a.task}"]`).innerText()).trim();
		res.list = await probe();
		step = 'hash routes that hold markup';
		res.routes = [];
		for (const h of ['#/queues/<img src=x onerror=window.__xss=5>',
		    '#/queues/' + encodeURIComponent(
		    '<img src=x onerror=window.__xss=6>'),
		    '#/tasks/<svg onload=window.__xss=7>',
		    '#/tasks/' + encodeURIComponent('"><b>bold</b>')]) {
			await go(page, h);
			await page.waitForTimeout(300);
			res.routes.push(await probe());
		}
		await page.context().close();
		return res;
	},

	/* read_only: no mutating control anywhere, and the forwarder refuses
	 * a POST even with the CSRF header.  args: queue, task. */
	async readonly(browser, a) {
		const res = {};
		const page = await newPage(browser);
		const mut = ['queue-pause', 'queue-resume', 'queue-purge',
		    'bulk-retry', 'bulk-delete', 'task-check', 'check-page',
		    'select-all-state', 'task-retry', 'task-run', 'task-delete',
		    'enqueue-form', 'enqueue-submit'];
		const found = {};
		const look = async (where) => {
			for (const m of mut) {
				const n = await page.locator(sel(m)).count();
				if (n)
					found[where + ':' + m] = n;
			}
		};
		step = 'overview';
		await go(page, '');
		await page.locator(sel('queue-row')).first().waitFor();
		res.badge = await visible(page, 'ro-badge');
		res.badge_text = await text(page, 'ro-badge');
		res.nav_enqueue = await visible(page, 'nav-enqueue');
		await look('overview');
		step = 'queue';
		await go(page, `#/queues/${a.queue}?state=dead`);
		await page.locator(sel('task-row')).first().waitFor();
		res.queue_rows = await count(page, 'task-row');
		await look('queue');
		if (opt.out)
			await page.screenshot({path: path.join(opt.out,
			    'queue-readonly.png'), fullPage: true});
		step = 'task';
		await go(page, `#/tasks/${a.task}`);
		await page.locator(sel('task-state')).waitFor();
		res.task_state = await text(page, 'task-state');
		await look('task');
		step = 'enqueue';
		await go(page, '#/enqueue');
		await page.locator(sel('page-error')).waitFor();
		res.enqueue_msg = await text(page, 'page-error');
		await look('enqueue');
		res.mutating_controls = found;
		step = 'direct POSTs from the page';
		res.post_pause = await pagePost(page,
		    `api/v1/queues/${a.queue}:pause`, true);
		res.post_retry = await pagePost(page, `api/v1/tasks/${a.task}:retry`,
		    true);
		res.get_stats = (await pageGet(page, 'api/v1/stats')).status;
		return res;
	},

	/* [dashboard] users: the login page, a wrong password, the right
	 * one, then log out.  args: user, password, wrong, token (optional). */
	async login(browser, a) {
		const res = {};
		const page = await newPage(browser);
		step = 'the app sends us to the login page';
		await go(page, '#/queues/default');
		await page.locator(sel('login-form')).waitFor();
		res.hash = await page.evaluate(() => location.hash);
		res.api_before = (await pageGet(page, 'api/v1/stats')).status;
		res.nav_hidden_user = !await visible(page, 'user');
		step = 'a wrong password';
		await page.locator(sel('login-user')).fill(a.user);
		await page.locator(sel('login-password')).fill(a.wrong);
		await page.locator(sel('login-submit')).click();
		await page.locator(sel('login-error')).waitFor();
		res.error = await text(page, 'login-error');
		step = 'the right password';
		await page.locator(sel('login-password')).fill(a.password);
		await page.locator(sel('login-password')).press('Enter');
		await page.locator(sel('queue-page')).waitFor();
		res.after_hash = await page.evaluate(() => location.hash);
		res.user = await text(page, 'user');
		res.cookies = (await page.context().cookies()).map(c => ({
		    name: c.name, path: c.path, httpOnly: c.httpOnly,
		    sameSite: c.sameSite}));
		res.api_after = (await pageGet(page, 'api/v1/stats')).status;
		res.post_no_csrf = (await pagePost(page,
		    'api/v1/queues/default:pause', false)).status;
		step = 'log out';
		await page.locator(sel('logout')).click();
		await page.locator(sel('login-form')).waitFor();
		res.api_logged_out = (await pageGet(page, 'api/v1/stats')).status;
		if (a.token) {
			step = 'log in with an API token';
			await page.locator(sel('login-token')).fill(a.token);
			await page.locator(sel('login-token-submit')).click();
			await page.locator(sel('overview')).waitFor();
			res.token_user = await text(page, 'user');
		}
		step = 'screenshot of the login page';
		if (opt.out) {
			const p2 = await newPage(browser, 'phone');
			await go(p2, '');
			await p2.locator(sel('login-form')).waitFor();
			await p2.screenshot({path: path.join(opt.out,
			    'login-phone.png'), fullPage: true});
			res.login_overflow = await overflow(p2);
			await p2.context().close();
		}
		return res;
	}
};

async function main() {
	if (!opt.base || !SCENARIOS[scenario]) {
		console.error('usage: dash.js --base URL [--out DIR] SCENARIO ' +
		    '[JSON]\nscenarios: ' + Object.keys(SCENARIOS).join(' '));
		process.exit(64);
	}
	if (opt.out)
		fs.mkdirSync(opt.out, {recursive: true});
	let browser;
	try {
		step = 'launch ' + CHROMIUM;
		browser = await chromium.launch({executablePath: CHROMIUM,
		    headless: true, args: ['--no-sandbox']});
		const result = await SCENARIOS[scenario](browser, args);
		result.page_errors = pageErrors;
		console.log(JSON.stringify({ok: true, scenario: scenario,
		    result: result}));
		await browser.close();
		process.exit(0);
	} catch (e) {
		console.log(JSON.stringify({ok: false, scenario: scenario,
		    step: step, error: String(e && e.stack || e).slice(0, 4000),
		    page_errors: pageErrors}));
		if (browser)
			await browser.close().catch(() => {});
		process.exit(1);
	}
}

main();
