/*
 * taskdispatcher dashboard: the single-page app served at [dashboard]
 * base_path.  Plain JavaScript, no framework, no build step, nothing
 * fetched from elsewhere: every URL is relative (api/..., app.css), so
 * the app works under any base path.  It calls the same /v1 operator API
 * as tdctl, through the dashboard's api/v1/ forwarder, and sends
 * X-TD-CSRF: 1 on every request that changes something.
 *
 * Routes (hash): #/ overview, #/queues/NAME?state=S&url=SUB, #/tasks/ID,
 * #/enqueue, #/login.
 *
 * data-test attributes (what tests/e2e/dash.js relies on; keep in step):
 *   header:   brand nav-overview nav-enqueue ro-badge user logout
 *             refresh-interval refresh-pause refresh-now updated
 *             help-button help-dialog help-close view toasts toast
 *             confirm-dialog confirm-title confirm-text confirm-ok
 *             confirm-cancel page-error
 *   login:    login login-form login-user login-password login-submit
 *             login-token-form login-token login-token-submit login-error
 *   overview: overview count-{pending,scheduled,active,retry,dead,done}
 *             chart redis redis-version redis-memory redis-aof
 *             queue-table queue-row (data-queue=NAME) queue-link
 *             queue-state queue-{pending,...,done} queue-latency
 *             queue-processed queue-failed queue-error-rate
 *   queue:    queue-page queue-title queue-state queue-pause
 *             queue-resume queue-purge tab-{pending,...,done} filter
 *             check-page select-all-state selection-count bulk-retry
 *             bulk-delete task-table task-row (data-id=ID) task-check
 *             task-link empty prev-page next-page page-info page-size
 *   task:     task-page task-state task-field-{id,queue,state,url,
 *             method,attempts,created,eta,finished,last_status,
 *             last_error} task-headers header-row task-body
 *             task-history history-row task-run task-retry task-delete
 *   enqueue:  enqueue-form enqueue-queue enqueue-url enqueue-method
 *             enqueue-headers enqueue-body enqueue-delay enqueue-submit
 *             enqueue-error enqueue-result enqueue-task-link
 */
'use strict';

(function () {

const STATES = ['pending', 'scheduled', 'active', 'retry', 'dead', 'done'];
const RETRYABLE = {dead: true, retry: true, scheduled: true};
const METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

const S = {
	session: null,		/* api/session */
	refresh: null,		/* the current page's reload, if it has one */
	gen: 0,			/* bumped on every navigation */
	timer: 0,
	busy: false,
	interval: 5,
	paused: false,
	next: '#/',		/* where to go after logging in */
	gkey: 0			/* time of a pending "g" */
};

const $ = (sel, root) => (root || document).querySelector(sel);
const T = (name, root) => $('[data-test="' + name + '"]', root);
const enc = encodeURIComponent;

/* ---------------------------------------------------------------- DOM */

const PROPS = {value: 1, checked: 1, disabled: 1, hidden: 1, selected: 1,
    indeterminate: 1, required: 1};

/* Attributes that load or run what they name: never a scheme of ours. */
const URL_ATTRS = {href: 1, src: 1, action: 1, formaction: 1,
    'xlink:href': 1, srcdoc: 1};

/*
 * Set what a says on el.  Server strings only ever become text or plain
 * attribute values: an on* key is a listener (a function) or nothing,
 * never an inline handler, and a URL attribute is a same-document or
 * relative one ("#/tasks/ID", "app.css"), never "javascript:" or another
 * origin, whatever a task's URL or a queue's name says.
 */
function attrs(el, a) {
	for (const k in a || {}) {
		const v = a[k];
		if (v === null || v === undefined || v === false)
			continue;
		if (k === 'class')
			el.setAttribute('class', v);
		else if (k === 'test')
			el.setAttribute('data-test', v);
		else if (k === 'text')
			el.textContent = v;
		else if (/^on/i.test(k)) {
			if (typeof v === 'function')
				el.addEventListener(k.slice(2), v);
		} else if (PROPS[k])
			el[k] = v;
		else if (URL_ATTRS[k.toLowerCase()] && !safeUrl(String(v)))
			continue;
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	return el;
}

/*
 * "#...", or a relative path with no scheme and no authority.  Browsers
 * drop tabs and newlines from a URL ("java\tscript:"): so do we first.
 */
function safeUrl(u) {
	const t = u.replace(/[\u0000-\u0020]/g, '');
	return t.startsWith('#') || !/^([a-z][a-z0-9+.-]*:|[\\/]{2})/i.test(t);
}

function add(el, kids) {
	for (const c of kids) {
		if (c === null || c === undefined || c === false)
			continue;
		if (Array.isArray(c))
			add(el, c);
		else
			el.append(c instanceof Node ? c : String(c));
	}
	return el;
}

function h(tag, a, ...kids) {
	return add(attrs(document.createElement(tag), a), kids);
}

function svg(tag, a, ...kids) {
	return add(attrs(document.createElementNS(
	    'http://www.w3.org/2000/svg', tag), a), kids);
}

/*
 * Replace what a region shows, keeping the keyboard focus on the "same"
 * control (same data-fk) if it was inside: an auto refresh must not yank
 * a keyboard user back to the top of the page.
 */
function swap(region, node) {
	const act = document.activeElement;
	const key = act && region.contains(act) && act.dataset ?
	    act.dataset.fk : null;
	region.replaceChildren(node);
	if (key) {
		const again = region.querySelector('[data-fk="' +
		    CSS.escape(key) + '"]');
		if (again)
			again.focus();
	}
}

/* ---------------------------------------------------------------- format */

function fmtNum(n) {
	return typeof n === 'number' ? n.toLocaleString('en-US') : '—';
}

function fmtBytes(n) {
	if (typeof n !== 'number')
		return '—';
	const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < u.length - 1) {
		n /= 1024;
		i++;
	}
	return (i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)) + ' ' + u[i];
}

function fmtDur(ms) {
	if (typeof ms !== 'number' || ms < 0)
		return '—';
	if (ms < 1000)
		return ms + ' ms';
	let s = Math.floor(ms / 1000);
	if (s < 60)
		return s + ' s';
	let m = Math.floor(s / 60);
	s %= 60;
	if (m < 60)
		return m + ' min' + (s ? ' ' + s + ' s' : '');
	let hr = Math.floor(m / 60);
	m %= 60;
	if (hr < 48)
		return hr + ' h' + (m ? ' ' + m + ' min' : '');
	return Math.floor(hr / 24) + ' d ' + (hr % 24) + ' h';
}

function pad(n) {
	return (n < 10 ? '0' : '') + n;
}

function fmtAbs(d) {
	return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' +
	    pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' +
	    pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}

/* A <time>: relative ("3 min ago", "in 5 s"), the local time on hover. */
function when(iso) {
	if (!iso)
		return h('span', {class: 'muted'}, '—');
	const d = new Date(iso);
	if (isNaN(d))
		return h('span', {}, iso);
	const diff = d.getTime() - Date.now();
	const rel = Math.abs(diff) < 1000 ? 'now' : diff > 0 ?
	    'in ' + fmtDur(diff) : fmtDur(-diff) + ' ago';
	return h('time', {datetime: iso, title: fmtAbs(d) + ' (' + iso + ')'},
	    rel);
}

/* Both: for the task page, where there is room. */
function whenFull(iso) {
	if (!iso)
		return h('span', {class: 'muted'}, '—');
	const d = new Date(iso);
	return h('span', {}, h('time', {datetime: iso}, fmtAbs(d)), ' ',
	    h('span', {class: 'muted'}, '(', when(iso), ')'));
}

function badge(state, test) {
	return h('span', {class: 'badge ' + state, test: test}, state);
}

/* ---------------------------------------------------------------- API */

class ApiError extends Error {
	constructor(code, status, message) {
		super(message);
		this.code = code;
		this.status = status;
	}
	toString() {
		return this.code ? 'HTTP ' + this.code + (this.status ? ' ' +
		    this.status : '') + ': ' + this.message : this.message;
	}
}

async function api(method, path, body) {
	const opt = {method: method, headers: {}, credentials: 'same-origin',
	    cache: 'no-store'};
	if (method !== 'GET' && method !== 'HEAD')
		opt.headers['X-TD-CSRF'] = '1';
	if (body !== undefined) {
		opt.headers['Content-Type'] = 'application/json';
		opt.body = JSON.stringify(body);
	}
	let r, text;
	try {
		r = await fetch(path, opt);
		text = await r.text();
	} catch (e) {
		throw new ApiError(0, '', 'the dashboard cannot be reached (' +
		    e.message + ')');
	}
	let j = null;
	try {
		j = text ? JSON.parse(text) : {};
	} catch (e) {
		j = null;
	}
	if (!r.ok) {
		const e = j && j.error ? j.error : {};
		const err = new ApiError(r.status, e.status || '',
		    e.message || text.slice(0, 200) || r.statusText);
		if (r.status === 401 && path !== 'api/login')
			unauthenticated();
		throw err;
	}
	if (j === null)
		throw new ApiError(r.status, '', 'the answer is not JSON: ' +
		    text.slice(0, 120));
	return j;
}

/* Run fn over items, at most n at a time; results in order. */
async function mapLimit(items, n, fn) {
	const out = new Array(items.length);
	let next = 0;
	async function one() {
		while (next < items.length) {
			const i = next++;
			out[i] = await fn(items[i]);
		}
	}
	await Promise.all(Array.from({length: Math.min(n, items.length)}, one));
	return out;
}

/* -------------------------------------------------- toasts, dialogs */

function toast(msg, kind) {
	const box = T('toasts');
	const close = h('button', {type: 'button', 'aria-label': 'Dismiss',
	    title: 'Dismiss'}, '×');
	const t = h('div', {class: 'toast ' + (kind || 'ok'), test: 'toast',
	    role: kind === 'error' ? 'alert' : null},
	    h('div', {class: 'msg'}, msg), close);
	const drop = () => t.remove();
	close.addEventListener('click', drop);
	box.append(t);
	setTimeout(drop, kind === 'error' ? 12000 : 5000);
	while (box.children.length > 4)
		box.firstChild.remove();
}

function fail(e) {
	toast(String(e), 'error');
}

function confirmDlg(title, text, okLabel) {
	const d = T('confirm-dialog');
	T('confirm-title', d).textContent = title;
	T('confirm-text', d).textContent = text;
	T('confirm-ok', d).textContent = okLabel || 'OK';
	d.returnValue = '';
	return new Promise(resolve => {
		d.addEventListener('close', () => resolve(d.returnValue === 'ok'),
		    {once: true});
		d.showModal();
		/* Destructive: the safe choice has the focus. */
		T('confirm-cancel', d).focus();
	});
}

function dialogOpen() {
	return !!document.querySelector('dialog[open]');
}

/* ---------------------------------------------------------------- session */

function readOnly() {
	return !!(S.session && S.session.read_only);
}

function applySession() {
	const s = S.session || {};
	T('ro-badge').hidden = !s.read_only;
	T('nav-enqueue').hidden = !!s.read_only;
	const inNow = s.auth_required && s.logged_in;
	T('user').hidden = !inNow;
	T('user').textContent = inNow ? 'signed in as ' + (s.user || '?') : '';
	T('logout').hidden = !inNow;
	document.body.classList.toggle('anon', !!(s.auth_required &&
	    !s.logged_in));
}

async function loadSession() {
	S.session = await api('GET', 'api/session');
	applySession();
}

function unauthenticated() {
	if (!S.session)
		return;
	S.session.logged_in = false;
	applySession();
	if (!location.hash.startsWith('#/login')) {
		S.next = location.hash || '#/';
		location.hash = '#/login';
	}
}

/* ---------------------------------------------------------------- refresh */

function loadPrefs() {
	try {
		const iv = parseInt(localStorage.getItem('td.refresh'), 10);
		if ([2, 5, 10, 30, 60].includes(iv))
			S.interval = iv;
		S.paused = localStorage.getItem('td.paused') === '1';
	} catch (e) {
		/* storage off: the defaults */
	}
	T('refresh-interval').value = String(S.interval);
	showPaused();
}

function savePrefs() {
	try {
		localStorage.setItem('td.refresh', String(S.interval));
		localStorage.setItem('td.paused', S.paused ? '1' : '0');
	} catch (e) {
		/* nothing to do */
	}
}

function showPaused() {
	const b = T('refresh-pause');
	b.setAttribute('aria-pressed', S.paused ? 'true' : 'false');
	b.textContent = S.paused ? 'Resume' : 'Pause';
	b.title = (S.paused ? 'Resume' : 'Pause') + ' auto refresh (p)';
}

function schedule() {
	clearTimeout(S.timer);
	if (!S.paused)
		S.timer = setTimeout(tick, S.interval * 1000);
}

async function tick() {
	/* Not while the user is deciding something in a dialog. */
	if (!document.hidden && !dialogOpen())
		await refreshNow(false);
	schedule();
}

async function refreshNow(manual) {
	if (!S.refresh || S.busy)
		return;
	const g = S.gen;
	S.busy = true;
	try {
		await S.refresh();
		if (g === S.gen) {
			pageError(null);
			stamp();
		}
	} catch (e) {
		if (g === S.gen && !(e.code === 401)) {
			if (manual)
				fail(e);
			pageError(e);
		}
	} finally {
		S.busy = false;
	}
}

function stamp() {
	T('updated').textContent = 'updated ' + fmtAbs(new Date()).slice(11);
}

/* An error banner above the page's content (kept data is still shown). */
// An action of a page, then the page loaded again whatever the action's
// fate: its error is a toast, a failed reload is the page's error.
async function actThenLoad(fn, load) {
	try {
		await fn();
	} catch (e) {
		fail(e);
	}
	try {
		await load();
	} catch (e) {
		pageError(e);
	}
}

function pageError(e) {
	const view = T('view');
	let el = T('page-error', view);
	if (!e) {
		if (el)
			el.remove();
		return;
	}
	if (!el) {
		el = h('div', {class: 'error', test: 'page-error', role: 'alert'});
		view.prepend(el);
	}
	el.textContent = String(e);
}

/* ---------------------------------------------------------------- router */

function parseHash() {
	const raw = location.hash.replace(/^#/, '') || '/';
	const q = raw.indexOf('?');
	const path = q < 0 ? raw : raw.slice(0, q);
	const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
	let parts;
	try {
		parts = path.split('/').filter(Boolean).map(decodeURIComponent);
	} catch (e) {
		parts = ['?'];
	}
	return {parts: parts, params: params};
}

const PAGES = {
	'': pageOverview,
	queues: pageQueue,
	tasks: pageTask,
	enqueue: pageEnqueue,
	login: pageLogin
};

async function route() {
	const g = ++S.gen;
	const r = parseHash();
	let name = r.parts[0] || '';
	const s = S.session;
	if (s && s.auth_required && !s.logged_in && name !== 'login') {
		S.next = location.hash || '#/';
		location.replace('#/login');
		return;
	}
	if ((name === 'queues' || name === 'tasks') && r.parts.length !== 2)
		name = '?';
	S.refresh = null;
	for (const a of document.querySelectorAll('[data-nav]')) {
		if (a.dataset.nav === (name === '' ? 'overview' : name))
			a.setAttribute('aria-current', 'page');
		else
			a.removeAttribute('aria-current');
	}
	const view = T('view');
	const fk = document.activeElement && document.activeElement.dataset ?
	    document.activeElement.dataset.fk : null;
	const page = Object.prototype.hasOwnProperty.call(PAGES, name) ?
	    PAGES[name] : null;
	if (!page) {
		view.replaceChildren(h('h1', {}, 'Not found'),
		    h('p', {}, 'No such page. ', h('a', {href: '#/'},
		    'Go to the overview.')));
		return;
	}
	view.replaceChildren(h('p', {class: 'muted'}, 'Loading…'));
	const ctx = {
		gen: g,
		live: () => g === S.gen,
		mount(node) {
			if (g !== S.gen)
				return false;
			view.replaceChildren(node);
			const again = fk ? view.querySelector('[data-fk="' +
			    CSS.escape(fk) + '"]') : null;
			if (again)
				again.focus();
			else if (!document.querySelector('header').contains(
			    document.activeElement))
				/* the link that brought us here is gone: Tab
				 * goes on from the top of the new page */
				view.focus({preventScroll: true});
			return true;
		}
	};
	try {
		await page(r, ctx);
		if (ctx.live() && S.refresh)
			stamp();
	} catch (e) {
		if (!ctx.live() || e.code === 401)
			return;
		view.replaceChildren(h('h1', {}, 'Something went wrong'),
		    h('div', {class: 'error', test: 'page-error', role: 'alert'},
		    String(e)), h('p', {}, h('a', {href: '#/'},
		    'Back to the overview')));
	}
}

/* ---------------------------------------------------------------- overview */

async function pageOverview(r, ctx) {
	document.title = 'Overview · taskdispatcher';
	const body = h('div', {}, h('p', {class: 'muted'}, 'Loading…'));
	const root = h('section', {test: 'overview'},
	    h('h1', {}, 'Overview'), body);
	let seq = 0;
	async function load() {
		const my = ++seq;
		const [stats, qs] = await Promise.all([
		    api('GET', 'api/v1/stats'), api('GET', 'api/v1/queues')]);
		/* minutes: only the one-queue answer has them. */
		const detail = await mapLimit(qs.queues || [], 6, q =>
		    api('GET', 'api/v1/queues/' + enc(q.name)).catch(() => null));
		if (my !== seq || !ctx.live())
			return;
		swap(body, overviewBody(stats, qs.queues || [], detail));
		drawCharts();
	}
	await load();
	ctx.mount(root);
	drawCharts();
	S.refresh = load;
}

function sumMinutes(detail) {
	const by = new Map();
	for (const d of detail) {
		for (const m of (d && d.minutes) || []) {
			const e = by.get(m.time) || {time: m.time, processed: 0,
			    failed: 0};
			e.processed += m.processed || 0;
			e.failed += m.failed || 0;
			by.set(m.time, e);
		}
	}
	return Array.from(by.values()).sort((a, b) =>
	    a.time < b.time ? -1 : a.time > b.time ? 1 : 0);
}

function overviewBody(stats, queues, detail) {
	const counts = stats.counts || {};
	const cards = h('div', {class: 'grid', 'aria-label': 'Tasks by state'},
	    STATES.map(s => h('div', {class: 'stat ' + s +
	    (counts[s] ? ' nz' : '')},
	    h('div', {class: 'l'}, s),
	    h('div', {class: 'n', test: 'count-' + s}, fmtNum(counts[s])))));

	const points = sumMinutes(detail);
	let tp = 0, tf = 0;
	for (const p of points) {
		tp += p.processed;
		tf += p.failed;
	}
	const chart = h('div', {class: 'chart', test: 'chart'});
	chart._points = points;
	const chartPanel = h('div', {class: 'panel'},
	    h('h2', {class: 'first'}, 'Processed and failed, last hour'),
	    chart,
	    h('div', {class: 'legend'},
	    h('span', {}, h('i', {class: 'ok'}),
	    'succeeded'),
	    h('span', {}, h('i', {class: 'bad'}),
	    'failed'),
	    h('span', {}, fmtNum(tp) + ' processed, ' + fmtNum(tf) +
	    ' failed in the hour (' + rate(tf, tp) + ')')));

	const rd = stats.redis || {};
	const tot = stats.totals || {};
	const redis = h('div', {class: 'panel', test: 'redis'},
	    h('h2', {class: 'first'}, 'Redis'),
	    h('dl', {class: 'kv'},
	    h('dt', {}, 'Version'), h('dd', {test: 'redis-version'},
	    rd.version || '—'),
	    h('dt', {}, 'Memory'), h('dd', {test: 'redis-memory'},
	    fmtBytes(rd.used_memory)),
	    h('dt', {}, 'AOF'), h('dd', {}, h('span', {test: 'redis-aof',
	    class: 'badge ' + (rd.aof_enabled ? 'on' : 'off')},
	    rd.aof_enabled === undefined ? 'unknown' :
	    rd.aof_enabled ? 'on' : 'off')),
	    h('dt', {}, 'Eviction'), h('dd', {}, rd.maxmemory_policy || '—',
	    rd.maxmemory_policy && rd.maxmemory_policy !== 'noeviction' ?
	    h('span', {class: 'badge dead gap'},
	    'tasks may be evicted') : null)),
	    h('h2', {}, 'Since the start'),
	    h('dl', {class: 'kv'},
	    ['enqueued', 'dispatched', 'succeeded', 'failed', 'retried',
	    'dead'].map(k => [h('dt', {}, k), h('dd', {class: 'tnum'},
	    fmtNum(tot[k]))])),
	    S.session && S.session.version ? h('p', {class: 'muted'},
	    'taskdispatcher ' + S.session.version) : null);

	const hour = new Map();
	detail.forEach((d, i) => {
		let p = 0, f = 0;
		for (const m of (d && d.minutes) || []) {
			p += m.processed || 0;
			f += m.failed || 0;
		}
		hour.set(queues[i].name, [p, f]);
	});
	const rows = queues.map(q => {
		const c = q.counts || {};
		const [hp, hf] = hour.get(q.name) || [0, 0];
		const cell = (s) => h('td', {class: 'num' + (c[s] ? s === 'dead' ?
		    ' nonzero-dead' : '' : ' zero'), 'data-label': s,
		    test: 'queue-' + s}, fmtNum(c[s]));
		return h('tr', {test: 'queue-row', 'data-queue': q.name},
		    h('td', {class: 'title'}, h('a', {href: '#/queues/' +
		    enc(q.name), test: 'queue-link', 'data-fk': 'q:' + q.name},
		    q.name)),
		    h('td', {'data-label': 'state'}, badge(q.state, 'queue-state')),
		    STATES.map(cell),
		    h('td', {class: 'num', 'data-label': 'latency',
		    test: 'queue-latency', title: 'age of the oldest pending task'},
		    q.oldest_pending_age_ms ? fmtDur(q.oldest_pending_age_ms) :
		    '—'),
		    h('td', {class: 'num', 'data-label': 'processed/min',
		    test: 'queue-processed'}, fmtNum(q.processed_per_minute)),
		    h('td', {class: 'num', 'data-label': 'failed/min',
		    test: 'queue-failed'}, fmtNum(q.failed_per_minute)),
		    h('td', {class: 'num', 'data-label': 'errors 1 h',
		    test: 'queue-error-rate'}, rate(hf, hp)));
	});
	const table = h('div', {class: 'tablewrap'},
	    h('table', {class: 'cardify q', test: 'queue-table'},
	    h('caption', {class: 'sr'}, 'Queues'),
	    h('thead', {}, h('tr', {},
	    h('th', {scope: 'col'}, 'Queue'), h('th', {scope: 'col'}, 'State'),
	    STATES.map(s => h('th', {class: 'num', scope: 'col'}, s)),
	    h('th', {class: 'num', scope: 'col',
	    title: 'age of the oldest pending task'}, 'Latency'),
	    h('th', {class: 'num', scope: 'col',
	    title: 'in the last complete minute'}, 'Processed/min'),
	    h('th', {class: 'num', scope: 'col',
	    title: 'in the last complete minute'}, 'Failed/min'),
	    h('th', {class: 'num', scope: 'col',
	    title: 'failed / processed over the last hour'},
	    'Error rate (1 h)'))),
	    h('tbody', {}, rows)));
	return h('div', {}, cards,
	    h('h2', {}, 'Queues ', h('span', {class: 'muted'},
	    '(' + queues.length + ')')),
	    queues.length ? table : h('p', {class: 'empty'}, 'No queues.'),
	    h('div', {class: 'cards'}, chartPanel,
	    redis));
}

function rate(failed, processed) {
	if (!processed)
		return '—';
	const r = 100 * failed / processed;
	return (r === 0 || r === 100 ? r.toFixed(0) : r.toFixed(1)) + ' %';
}

function niceMax(v) {
	if (v <= 4)
		return 4;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [1, 2, 2.5, 5, 10])
		if (m * p >= v)
			return m * p;
	return 10 * p;
}

function hhmm(iso) {
	const d = new Date(iso);
	return pad(d.getHours()) + ':' + pad(d.getMinutes());
}

/* Stacked bars per minute, drawn at the container's width (text stays
 * readable on a phone; redrawn on resize). */
function drawCharts() {
	for (const el of document.querySelectorAll('[data-test="chart"]'))
		drawChart(el, el._points || []);
}

function drawChart(el, pts) {
	const W = Math.max(240, Math.floor(el.clientWidth || 600));
	const H = 180, L = 38, R = 8, TOP = 10, B = 24;
	const pw = W - L - R, ph = H - TOP - B;
	let max = 0, tp = 0, tf = 0;
	for (const p of pts) {
		max = Math.max(max, p.processed);
		tp += p.processed;
		tf += p.failed;
	}
	const top = niceMax(max);
	const y = v => TOP + ph - (v / top) * ph;
	const n = Math.max(pts.length, 60);
	const bw = pw / n;
	const g = svg('svg', {width: W, height: H, viewBox: '0 0 ' + W + ' ' + H,
	    role: 'img', 'aria-label': 'Processed and failed tasks per minute ' +
	    'over the last hour: ' + tp + ' processed, ' + tf + ' failed'});
	for (const v of [0, top / 2, top]) {
		g.append(svg('line', {class: 'axis', x1: L, x2: W - R, y1: y(v),
		    y2: y(v)}));
		g.append(svg('text', {x: L - 6, y: y(v) + 4,
		    'text-anchor': 'end'}, fmtNum(Math.round(v))));
	}
	pts.forEach((p, i) => {
		const x = L + (n - pts.length + i) * bw;
		const ok = Math.max(0, p.processed - p.failed);
		const grp = svg('g', {},
		    svg('title', {}, hhmm(p.time) + ': ' + p.processed +
		    ' processed, ' + p.failed + ' failed'));
		const w = Math.max(1, bw - (bw > 4 ? 1.5 : 0.5));
		if (p.failed)
			grp.append(svg('rect', {class: 'bad', x: x, width: w,
			    y: y(p.failed), height: y(0) - y(p.failed)}));
		if (ok)
			grp.append(svg('rect', {class: 'ok', x: x, width: w,
			    y: y(p.failed + ok), height: y(p.failed) - y(p.failed +
			    ok)}));
		/* an invisible full-height target so the tooltip is reachable */
		grp.append(svg('rect', {x: x, width: bw, y: TOP, height: ph,
		    fill: 'transparent'}));
		g.append(grp);
	});
	if (pts.length) {
		const lab = [[0, 'start'], [Math.floor(pts.length / 2), 'middle'],
		    [pts.length - 1, 'end']];
		for (const [i, anchor] of lab)
			g.append(svg('text', {x: L + (n - pts.length + i) * bw +
			    (anchor === 'start' ? 0 : anchor === 'end' ? bw : bw / 2),
			    y: H - 6, 'text-anchor': anchor}, hhmm(pts[i].time)));
	} else {
		g.append(svg('text', {x: L + pw / 2, y: TOP + ph / 2,
		    'text-anchor': 'middle'}, 'no data'));
	}
	el.replaceChildren(g);
}

let resizeT = 0;
window.addEventListener('resize', () => {
	clearTimeout(resizeT);
	resizeT = setTimeout(drawCharts, 150);
});

/* ---------------------------------------------------------------- queue */

const WHEN_LABEL = {pending: 'Queued', scheduled: 'Runs', active: 'Queued',
    retry: 'Next try', dead: 'Died', done: 'Finished'};

async function pageQueue(r, ctx) {
	const name = r.parts[1];
	let state = r.params.get('state') || 'pending';
	if (!STATES.includes(state))
		state = 'pending';
	let url = r.params.get('url') || '';
	let size = parseInt(r.params.get('page_size'), 10) || 50;
	const ro = readOnly();
	let tokens = [''];		/* page k starts at tokens[k] */
	let pageIdx = 0, nextTok = null;
	let tasks = [];
	let queue = null;
	const sel = new Set();
	let allInState = false;

	document.title = name + ' · taskdispatcher';
	const head = h('div', {});
	const tabs = h('nav', {class: 'tabs', 'aria-label': 'Task states'});
	const filter = h('input', {type: 'search', class: 'filter', test: 'filter',
	    placeholder: 'Filter by URL substring  ( / )', value: url,
	    'aria-label': 'Filter tasks by URL substring', 'data-fk': 'filter'});
	const selInfo = h('span', {class: 'selinfo', test: 'selection-count',
	    'aria-live': 'polite'});
	const checkAll = h('input', {type: 'checkbox', test: 'check-page',
	    'aria-label': 'Select every task on this page', 'data-fk': 'ca'});
	const allState = h('input', {type: 'checkbox', test: 'select-all-state',
	    'data-fk': 'as'});
	const allStateLabel = h('label', {class: 'row tight'},
	    allState, h('span', {}));
	const bRetry = h('button', {type: 'button', class: 'btn',
	    test: 'bulk-retry', 'data-fk': 'br'});
	const bDelete = h('button', {type: 'button', class: 'btn ghost-danger',
	    test: 'bulk-delete', 'data-fk': 'bd'}, 'Delete');
	const list = h('div', {});
	const prev = h('button', {type: 'button', class: 'btn', test: 'prev-page',
	    'data-fk': 'prev'}, '← Previous');
	const next = h('button', {type: 'button', class: 'btn', test: 'next-page',
	    'data-fk': 'next'}, 'Next →');
	const pinfo = h('span', {class: 'muted', test: 'page-info'});
	const psize = h('select', {test: 'page-size', 'aria-label': 'Tasks per page'},
	    [20, 50, 100, 200].map(n => h('option', {value: String(n),
	    selected: n === size}, n + ' per page')));

	const toolbar = h('div', {class: 'toolbar'}, filter,
	    ro ? null : [allStateLabel, bRetry, bDelete, selInfo]);
	const root = h('section', {test: 'queue-page'}, head, tabs, toolbar, list,
	    h('div', {class: 'pager'}, psize, pinfo, prev, next));

	function hashFor(st, u) {
		const p = new URLSearchParams();
		p.set('state', st);
		if (u)
			p.set('url', u);
		if (size !== 50)
			p.set('page_size', String(size));
		return '#/queues/' + enc(name) + '?' + p.toString();
	}

	function renderHead() {
		const paused = queue.state === 'paused';
		const acts = ro ? null : h('div', {class: 'row'},
		    paused ? h('button', {type: 'button', class: 'btn primary',
		    test: 'queue-resume', 'data-fk': 'resume', onclick: () =>
		    pauseResume(false)}, 'Resume') :
		    h('button', {type: 'button', class: 'btn', test: 'queue-pause',
		    'data-fk': 'pause', onclick: () => pauseResume(true)}, 'Pause'),
		    h('button', {type: 'button', class: 'btn ghost-danger',
		    test: 'queue-purge', 'data-fk': 'purge', onclick: purge},
		    'Purge…'));
		swap(head, h('div', {class: 'row'},
		    h('h1', {class: 'grow'},
		    h('a', {href: '#/', class: 'crumb'}, 'Queues /'),
		    h('span', {test: 'queue-title'}, name),
		    badge(queue.state, 'queue-state')),
		    acts));
		const c = queue.counts || {};
		swap(tabs, h('div', {class: 'row tight'},
		    STATES.map(s => h('a', {href: hashFor(s, url),
		    test: 'tab-' + s, 'data-fk': 'tab:' + s,
		    'aria-current': s === state ? 'page' : null}, s,
		    h('span', {class: 'cnt'}, fmtNum(c[s]))))));
	}

	function renderSel() {
		const n = queue && queue.counts ? queue.counts[state] || 0 : 0;
		allStateLabel.lastChild.textContent = 'All ' + fmtNum(n) + ' ' +
		    state + ' tasks' + (url ? ' (ignores the filter)' : '');
		allState.checked = allInState;
		const visible = tasks.map(t => t.id);
		const onPage = visible.filter(id => sel.has(id)).length;
		checkAll.checked = allInState || (visible.length > 0 &&
		    onPage === visible.length);
		checkAll.indeterminate = !allInState && onPage > 0 &&
		    onPage < visible.length;
		checkAll.disabled = allInState || visible.length === 0;
		for (const cb of list.querySelectorAll('[data-test="task-check"]')) {
			cb.checked = allInState || sel.has(cb.dataset.id);
			cb.disabled = allInState;
		}
		const count = allInState ? n : sel.size;
		selInfo.textContent = allInState ? 'all ' + fmtNum(n) + ' ' +
		    state + ' tasks selected' : count ? count + ' selected' :
		    'none selected';
		bRetry.hidden = !RETRYABLE[state];
		bRetry.textContent = state === 'dead' ? 'Retry (move to pending)' :
		    'Run now';
		bRetry.disabled = count === 0;
		bDelete.disabled = count === 0;
	}

	function renderList() {
		const wl = WHEN_LABEL[state];
		if (!tasks.length) {
			swap(list, h('div', {class: 'panel empty', test: 'empty'},
			    'No ' + state + ' tasks' + (url ? ' with “' + url +
			    '” in the URL' : '') + (pageIdx ? ' on this page' : '') +
			    '.'));
		} else {
			swap(list, h('div', {class: 'tablewrap'},
			    h('table', {class: 'cardify', test: 'task-table'},
			    h('caption', {class: 'sr'}, state + ' tasks of ' + name),
			    h('thead', {}, h('tr', {},
			    ro ? null : h('th', {class: 'check'}, checkAll),
			    h('th', {scope: 'col'}, 'ID'), h('th', {scope: 'col'}, 'URL'),
			    h('th', {scope: 'col'}, 'Method'),
			    h('th', {scope: 'col', class: 'num'}, 'Attempts'),
			    h('th', {scope: 'col'}, wl),
			    h('th', {scope: 'col'}, 'Status'),
			    h('th', {scope: 'col'}, 'Last error'))),
			    h('tbody', {}, tasks.map(taskRow)))));
		}
		pinfo.textContent = 'page ' + (pageIdx + 1);
		prev.disabled = pageIdx === 0;
		next.disabled = !nextTok;
		renderSel();
	}

	function taskRow(t) {
		const wl = WHEN_LABEL[state];
		const whenIso = state === 'scheduled' || state === 'retry' ? t.eta :
		    state === 'done' || state === 'dead' ? t.finished : t.created;
		return h('tr', {test: 'task-row', 'data-id': t.id},
		    ro ? null : h('td', {class: 'check'}, h('input', {
		    type: 'checkbox', test: 'task-check', 'data-id': t.id,
		    'data-fk': 'c:' + t.id, 'aria-label': 'Select task ' + t.id,
		    onchange: (ev) => {
			if (ev.target.checked)
				sel.add(t.id);
			else
				sel.delete(t.id);
			renderSel();
		    }})),
		    h('td', {class: 'id title'}, h('a', {href: '#/tasks/' + enc(t.id),
		    test: 'task-link', 'data-fk': 't:' + t.id}, t.id)),
		    h('td', {class: 'url', 'data-label': 'URL'}, t.url),
		    h('td', {class: 'inl', 'data-label': 'method'}, t.method),
		    h('td', {class: 'num inl', 'data-label': 'attempts'},
		    fmtNum(t.attempts)),
		    h('td', {class: 'inl', 'data-label': wl.toLowerCase()},
		    when(whenIso)),
		    h('td', {class: 'inl', 'data-label': 'status'}, t.last_status ?
		    String(t.last_status) : h('span', {class: 'muted'}, '—')),
		    h('td', {class: 'err', 'data-label': 'error'},
		    t.last_error || ''));
	}

	/* Only the newest load shows: an auto refresh that was under way
	 * when an action's reload started must not paint over it. */
	let seq = 0;
	async function load() {
		const my = ++seq;
		const p = new URLSearchParams();
		p.set('state', state);
		p.set('page_size', String(size));
		if (tokens[pageIdx])
			p.set('page_token', tokens[pageIdx]);
		if (url)
			p.set('url', url);
		const [q, j] = await Promise.all([
		    api('GET', 'api/v1/queues/' + enc(name)),
		    api('GET', 'api/v1/queues/' + enc(name) + '/tasks?' +
		    p.toString())]);
		if (my !== seq || !ctx.live())
			return;
		queue = q;
		tasks = j.tasks || [];
		nextTok = j.next_page_token || null;
		/* forget selected tasks that left this state */
		const seen = new Set(tasks.map(t => t.id));
		for (const id of Array.from(sel))
			if (!seen.has(id))
				sel.delete(id);
		renderHead();
		renderList();
	}

	function act(fn) {
		return actThenLoad(fn, load);
	}

	function pauseResume(pause) {
		return act(async () => {
			queue = await api('POST', 'api/v1/queues/' + enc(name) +
			    (pause ? ':pause' : ':resume'));
			toast('Queue ' + name + (pause ? ' paused' : ' resumed'));
		});
	}

	async function purge() {
		const n = STATES.reduce((a, s) => a + ((queue.counts || {})[s] || 0),
		    0);
		if (!await confirmDlg('Purge queue ' + name + '?', 'This deletes ' +
		    'every task of the queue (' + fmtNum(n) + ' now), in every ' +
		    'state, with its history. It cannot be undone.', 'Purge'))
			return;
		return act(async () => {
			const j = await api('POST', 'api/v1/queues/' + enc(name) +
			    ':purge');
			toast('Purged ' + name + ': ' + fmtNum(j.deleted) +
			    ' tasks deleted');
		});
	}

	function selection() {
		return allInState ? {state: state} : {ids: Array.from(sel)};
	}

	async function bulk(kind) {
		const n = allInState ? (queue.counts || {})[state] || 0 : sel.size;
		const what = allInState ? 'all ' + fmtNum(n) + ' ' + state +
		    ' tasks' : fmtNum(n) + ' task' + (n === 1 ? '' : 's');
		if (kind === 'delete' && !await confirmDlg('Delete ' + what + '?',
		    'Delete ' + what + ' of queue ' + name + ', with ' +
		    (n === 1 && !allInState ? 'its' : 'their') + ' history. ' +
		    'This cannot be undone.', 'Delete'))
			return;
		return act(async () => {
			const j = await api('POST', 'api/v1/queues/' + enc(name) +
			    '/tasks:' + (kind === 'delete' ? 'delete' : 'retry'),
			    selection());
			sel.clear();
			allInState = false;
			toast(kind === 'delete' ? 'Deleted ' + fmtNum(j.deleted) +
			    ' tasks' : (state === 'dead' ? 'Moved ' : 'Queued ') +
			    fmtNum(j.retried) + ' tasks to pending');
		});
	}

	let ft = 0;
	filter.addEventListener('input', () => {
		clearTimeout(ft);
		ft = setTimeout(() => {
			url = filter.value.trim();
			tokens = [''];
			pageIdx = 0;
			history.replaceState(null, '', hashFor(state, url));
			act(async () => {});
		}, 300);
	});
	filter.addEventListener('keydown', (ev) => {
		if (ev.key === 'Escape') {
			filter.blur();
		}
	});
	checkAll.addEventListener('change', () => {
		for (const t of tasks)
			if (checkAll.checked)
				sel.add(t.id);
			else
				sel.delete(t.id);
		renderSel();
	});
	allState.addEventListener('change', () => {
		allInState = allState.checked;
		renderSel();
	});
	bRetry.addEventListener('click', () => bulk('retry'));
	bDelete.addEventListener('click', () => bulk('delete'));
	prev.addEventListener('click', () => {
		if (pageIdx > 0) {
			pageIdx--;
			act(async () => {});
		}
	});
	next.addEventListener('click', () => {
		if (nextTok) {
			tokens[pageIdx + 1] = nextTok;
			pageIdx++;
			act(async () => {});
		}
	});
	psize.addEventListener('change', () => {
		size = parseInt(psize.value, 10);
		tokens = [''];
		pageIdx = 0;
		history.replaceState(null, '', hashFor(state, url));
		act(async () => {});
	});

	await load();
	ctx.mount(root);
	S.refresh = load;
}

/* ---------------------------------------------------------------- task */

async function pageTask(r, ctx) {
	const id = r.parts[1];
	const ro = readOnly();
	const body = h('div', {});
	const root = h('section', {test: 'task-page'}, body);
	document.title = 'Task ' + id + ' · taskdispatcher';

	let seq = 0;
	async function load() {
		const my = ++seq;
		let t;
		try {
			t = await api('GET', 'api/v1/tasks/' + enc(id));
		} catch (e) {
			if (e.code !== 404)
				throw e;
			if (my === seq && ctx.live())
				swap(body, h('div', {}, h('h1', {}, 'Task ' + id),
				    h('div', {class: 'error', test: 'page-error'},
				    'No such task: it was deleted, or it finished ' +
				    'long enough ago to be trimmed. (' + e + ')'),
				    h('p', {}, h('a', {href: '#/'}, 'Back to the overview'))));
			return;
		}
		if (my === seq && ctx.live())
			swap(body, taskView(t));
	}

	function act(fn) {
		return actThenLoad(fn, load);
	}

	function taskView(t) {
		const acts = ro ? null : h('div', {class: 'row'},
		    t.state === 'scheduled' || t.state === 'retry' ?
		    h('button', {type: 'button', class: 'btn primary',
		    test: 'task-run', 'data-fk': 'run', onclick: () => act(
		    async () => {
			await api('POST', 'api/v1/tasks/' + enc(id) + ':retry');
			toast('Task ' + id + ' will run now');
		    })}, 'Run now') : null,
		    t.state === 'dead' ? h('button', {type: 'button',
		    class: 'btn primary', test: 'task-retry', 'data-fk': 'retry',
		    onclick: () => act(async () => {
			await api('POST', 'api/v1/tasks/' + enc(id) + ':retry');
			toast('Task ' + id + ' moved to pending with fresh retries');
		    })}, 'Retry') : null,
		    h('button', {type: 'button', class: 'btn ghost-danger',
		    test: 'task-delete', 'data-fk': 'del', onclick: async () => {
			if (!await confirmDlg('Delete this task?', 'Task ' + id +
			    ' (' + t.state + ') and its history will be deleted. ' +
			    'This cannot be undone.', 'Delete'))
				return;
			try {
				await api('DELETE', 'api/v1/tasks/' + enc(id));
				toast('Task ' + id + ' deleted');
				location.hash = '#/queues/' + enc(t.queue) + '?state=' +
				    enc(t.state);
			} catch (e) {
				fail(e);
			}
		    }}, 'Delete…'));

		const F = (key, label, val) => [h('dt', {}, label),
		    h('dd', {test: 'task-field-' + key}, val)];
		const fields = h('dl', {class: 'kv'},
		    F('id', 'ID', h('span', {class: 'mono'}, t.id)),
		    F('queue', 'Queue', h('a', {href: '#/queues/' + enc(t.queue) +
		    '?state=' + enc(t.state)}, t.queue)),
		    F('state', 'State', badge(t.state)),
		    F('url', 'URL', h('span', {class: 'mono'}, t.url)),
		    F('method', 'Method', t.method),
		    F('attempts', 'Attempts', fmtNum(t.attempts)),
		    F('created', 'Created', whenFull(t.created)),
		    t.eta ? F('eta', t.state === 'retry' ? 'Next try' : 'Runs at',
		    whenFull(t.eta)) : null,
		    t.finished ? F('finished', 'Finished', whenFull(t.finished)) :
		    null,
		    F('last_status', 'Last status', t.last_status ?
		    String(t.last_status) : '—'),
		    F('last_error', 'Last error', t.last_error ? h('span',
		    {class: 'errtext'}, t.last_error) : '—'));

		const hdrs = Object.entries(t.headers || {});
		const headers = hdrs.length ? h('div', {class: 'tablewrap'},
		    h('table', {test: 'task-headers'},
		    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Name'),
		    h('th', {scope: 'col'}, 'Value'))),
		    h('tbody', {}, hdrs.map(([k, v]) => h('tr', {test: 'header-row',
		    'data-name': k}, h('td', {class: 'mono narrow'}, k),
		    h('td', {class: 'mono' + (v === '<redacted>' ? ' redacted' : '')},
		    String(v))))))) :
		    h('p', {class: 'muted', test: 'task-headers'}, 'No headers.');

		let pretty = t.body || '', isJson = false;
		if (pretty) {
			try {
				pretty = JSON.stringify(JSON.parse(pretty), null, 2);
				isJson = true;
			} catch (e) {
				/* not JSON: shown as it is */
			}
		}
		const bodyEl = t.body ? h('pre', {class: 'code', test: 'task-body',
		    'data-json': isJson ? '1' : '0', tabindex: '0',
		    'aria-label': 'Request body'}, pretty) :
		    h('p', {class: 'muted', test: 'task-body'}, 'No body.');

		const hist = (t.history || []).slice().reverse();
		const history = hist.length ? h('div', {class: 'tablewrap'},
		    h('table', {class: 'cardify', test: 'task-history'},
		    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Attempt'),
		    h('th', {scope: 'col'}, 'Time'), h('th', {scope: 'col'},
		    'Status'), h('th', {scope: 'col'}, 'Error'),
		    h('th', {scope: 'col', class: 'num'}, 'Duration'))),
		    h('tbody', {}, hist.map(a => h('tr', {test: 'history-row'},
		    h('td', {class: 'title'}, '#' + a.attempt),
		    h('td', {'data-label': 'time'}, whenFull(a.time)),
		    h('td', {'data-label': 'status'}, a.status ? h('span', {
		    class: 'badge ' + (a.status >= 200 && a.status < 300 ? 'done' :
		    'dead')}, String(a.status)) : h('span', {class: 'muted'}, '—')),
		    h('td', {class: 'err', 'data-label': 'error'}, a.error || ''),
		    h('td', {class: 'num', 'data-label': 'duration'},
		    fmtDur(a.duration_ms))))))) :
		    h('p', {class: 'muted', test: 'task-history'},
		    'No attempts yet.');

		return h('div', {},
		    h('div', {class: 'row'}, h('h1', {class: 'grow'},
		    h('a', {href: '#/queues/' + enc(t.queue) + '?state=' +
		    enc(t.state), class: 'crumb'}, t.queue + ' /'),
		    'Task', badge(t.state, 'task-state')), acts),
		    h('div', {class: 'panel'}, fields),
		    h('h2', {}, 'Headers ', h('span', {class: 'muted hint'},
		    '(secrets are masked by the server)')), headers,
		    h('h2', {}, 'Body ', h('span', {class: 'muted hint'},
		    t.body ? (isJson ? 'JSON, pretty-printed, ' : '') +
		    fmtNum(new Blob([t.body]).size) + ' bytes' : '')), bodyEl,
		    h('h2', {}, 'Attempts ', h('span', {class: 'muted hint'},
		    '(newest first)')), history);
	}

	await load();
	ctx.mount(root);
	S.refresh = load;
}

/* ---------------------------------------------------------------- enqueue */

function parseHeaders(text) {
	const out = {};
	const lines = text.split('\n');
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i].trim();
		if (!line)
			continue;
		const c = line.indexOf(':');
		if (c <= 0)
			throw new Error('headers, line ' + (i + 1) +
			    ': expected “Name: value”');
		out[line.slice(0, c).trim()] = line.slice(c + 1).trim();
	}
	return out;
}

async function pageEnqueue(r, ctx) {
	document.title = 'Enqueue · taskdispatcher';
	if (readOnly()) {
		ctx.mount(h('section', {}, h('h1', {}, 'Enqueue'),
		    h('p', {class: 'error', test: 'page-error'},
		    'This dashboard is read-only: tasks cannot be enqueued ' +
		    'from here.')));
		return;
	}
	const qs = await api('GET', 'api/v1/queues');
	const want = r.params.get('queue') || 'default';
	const names = (qs.queues || []).map(q => q.name);
	const field = (label, ctl, hint) => h('label', {class: 'field'},
	    h('span', {}, label, hint ? h('span', {class: 'hint'}, ' ' + hint) :
	    null), ctl);
	const queue = h('select', {test: 'enqueue-queue', name: 'queue'},
	    names.map(n => h('option', {value: n, selected: n === want}, n)));
	const url = h('input', {type: 'url', test: 'enqueue-url', name: 'url',
	    required: true, placeholder: 'https://example.internal/hook',
	    autocomplete: 'off'});
	const method = h('select', {test: 'enqueue-method', name: 'method'},
	    METHODS.map(m => h('option', {value: m}, m)));
	const delay = h('input', {type: 'number', test: 'enqueue-delay',
	    name: 'delay', min: '0', step: 'any', value: '0'});
	const headers = h('textarea', {test: 'enqueue-headers', name: 'headers',
	    rows: '3', placeholder: 'Content-Type: application/json'});
	const bodyT = h('textarea', {test: 'enqueue-body', name: 'body', rows: '6',
	    placeholder: '{"hello": 1}'});
	const err = h('div', {class: 'error', test: 'enqueue-error', role: 'alert',
	    hidden: true});
	const result = h('div', {test: 'enqueue-result', 'aria-live': 'polite'});
	const submit = h('button', {type: 'submit', class: 'btn primary',
	    test: 'enqueue-submit'}, 'Enqueue');
	const form = h('form', {class: 'form panel', test: 'enqueue-form',
	    novalidate: true},
	    h('div', {class: 'two'}, field('Queue', queue),
	    field('Method', method)),
	    field('URL', url),
	    field('Headers', headers, 'one “Name: value” per line'),
	    field('Body', bodyT, 'sent as is; only with POST, PUT, PATCH'),
	    field('Delay', delay, 'seconds before it is due'),
	    err, h('div', {class: 'row'}, submit));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		err.hidden = true;
		let req;
		try {
			if (!url.value.trim())
				throw new Error('URL: required');
			const d = Number(delay.value || 0);
			if (!(d >= 0))
				throw new Error('delay: must be a number ≥ 0');
			const task = {url: url.value.trim(), method: method.value};
			const hd = parseHeaders(headers.value);
			if (Object.keys(hd).length)
				task.headers = hd;
			if (bodyT.value)
				task.body = bodyT.value;
			req = {queue: queue.value, task: task};
			if (d > 0)
				req.delay = d;
		} catch (e) {
			err.textContent = e.message;
			err.hidden = false;
			return;
		}
		submit.disabled = true;
		try {
			const j = await api('POST', 'api/v1/enqueue', req);
			swap(result, h('div', {class: 'panel result'},
			    'Enqueued task ', h('a', {href: '#/tasks/' +
			    enc(j.task_id), test: 'enqueue-task-link',
			    class: 'mono'}, j.task_id), ' in queue ',
			    h('a', {href: '#/queues/' + enc(j.queue)}, j.queue), '.'));
			toast('Enqueued task ' + j.task_id);
		} catch (e) {
			err.textContent = String(e);
			err.hidden = false;
		} finally {
			submit.disabled = false;
		}
	});
	ctx.mount(h('section', {}, h('h1', {}, 'Enqueue a task'), form, result));
}

/* ---------------------------------------------------------------- login */

async function pageLogin(r, ctx) {
	document.title = 'Log in · taskdispatcher';
	const s = S.session || {};
	if (!s.auth_required || s.logged_in) {
		location.replace(S.next && !S.next.startsWith('#/login') ?
		    S.next : '#/');
		return;
	}
	const err = h('div', {class: 'error', test: 'login-error', role: 'alert',
	    hidden: true});
	const user = h('input', {type: 'text', test: 'login-user', name: 'user',
	    autocomplete: 'username', autocapitalize: 'none', required: true});
	const pass = h('input', {type: 'password', test: 'login-password',
	    name: 'password', autocomplete: 'current-password', required: true});
	const token = h('input', {type: 'password', test: 'login-token',
	    name: 'token', autocomplete: 'off'});
	async function login(body, btn) {
		err.hidden = true;
		btn.disabled = true;
		try {
			await api('POST', 'api/login', body);
			await loadSession();
			const to = S.next && !S.next.startsWith('#/login') ?
			    S.next : '#/';
			S.next = '#/';
			location.replace(to);
		} catch (e) {
			err.textContent = e.code === 401 ? 'Wrong credentials: ' +
			    e.message : String(e);
			err.hidden = false;
		} finally {
			btn.disabled = false;
		}
	}
	const b1 = h('button', {type: 'submit', class: 'btn primary',
	    test: 'login-submit'}, 'Log in');
	const b2 = h('button', {type: 'submit', class: 'btn',
	    test: 'login-token-submit'}, 'Log in with token');
	const f1 = h('form', {test: 'login-form'},
	    h('label', {class: 'field'}, h('span', {}, 'User'), user),
	    h('label', {class: 'field'}, h('span', {}, 'Password'), pass),
	    h('div', {class: 'row end'}, b1));
	f1.addEventListener('submit', (ev) => {
		ev.preventDefault();
		login({user: user.value, password: pass.value}, b1);
	});
	const f2 = h('form', {test: 'login-token-form'},
	    h('label', {class: 'field'}, h('span', {}, 'API token'), token),
	    h('div', {class: 'row end'}, b2));
	f2.addEventListener('submit', (ev) => {
		ev.preventDefault();
		login({token: token.value}, b2);
	});
	ctx.mount(h('section', {class: 'login panel', test: 'login'},
	    h('h1', {}, 'Log in'), err, f1, h('div', {class: 'or'}, 'or'), f2));
	user.focus();
}

/* ---------------------------------------------------------------- keys */

function typing(el) {
	if (!el)
		return false;
	const t = el.tagName;
	return t === 'INPUT' || t === 'TEXTAREA' || t === 'SELECT' ||
	    el.isContentEditable;
}

function onKey(ev) {
	if (ev.ctrlKey || ev.metaKey || ev.altKey || dialogOpen() ||
	    typing(ev.target))
		return;
	const k = ev.key;
	if (S.gkey && Date.now() - S.gkey < 1500) {
		S.gkey = 0;
		if (k === 'o') {
			location.hash = '#/';
			ev.preventDefault();
			return;
		}
		if (k === 'e' && !readOnly()) {
			location.hash = '#/enqueue';
			ev.preventDefault();
			return;
		}
	}
	S.gkey = 0;
	if (k === 'g') {
		S.gkey = Date.now();
	} else if (k === '?') {
		T('help-dialog').showModal();
	} else if (k === 'r') {
		refreshNow(true);
	} else if (k === 'p') {
		togglePause();
	} else if (k === '/') {
		const f = T('filter');
		if (f) {
			ev.preventDefault();
			f.focus();
			f.select();
		}
	} else if (k === '[' || k === ']') {
		const tabs = Array.from(document.querySelectorAll(
		    '.tabs a[data-test^="tab-"]'));
		const i = tabs.findIndex(a => a.getAttribute('aria-current'));
		const j = i + (k === ']' ? 1 : -1);
		if (i >= 0 && j >= 0 && j < tabs.length) {
			tabs[j].focus();
			tabs[j].click();
		}
	} else {
		return;
	}
	ev.preventDefault();
}

function togglePause() {
	S.paused = !S.paused;
	savePrefs();
	showPaused();
	schedule();
	toast(S.paused ? 'Auto refresh paused' : 'Auto refresh every ' +
	    S.interval + ' s');
}

/* ---------------------------------------------------------------- start */

async function start() {
	loadPrefs();
	T('refresh-interval').addEventListener('change', (ev) => {
		S.interval = parseInt(ev.target.value, 10) || 5;
		savePrefs();
		schedule();
	});
	T('refresh-pause').addEventListener('click', togglePause);
	T('refresh-now').addEventListener('click', () => refreshNow(true));
	T('help-button').addEventListener('click', () =>
	    T('help-dialog').showModal());
	T('logout').addEventListener('click', async () => {
		try {
			await api('POST', 'api/logout', {});
		} catch (e) {
			fail(e);
		}
		S.next = '#/';
		await loadSession().catch(fail);
		location.hash = '#/login';
	});
	document.addEventListener('keydown', onKey);
	window.addEventListener('hashchange', route);
	try {
		await loadSession();
	} catch (e) {
		T('view').replaceChildren(h('h1', {}, 'Cannot start'),
		    h('div', {class: 'error', test: 'page-error', role: 'alert'},
		    'api/session: ' + e));
		return;
	}
	await route();
	schedule();
}

start();

})();
