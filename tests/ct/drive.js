#!/usr/bin/env node
// drive.js: runs one scenario with the official Cloud Tasks Node client
// (@google-cloud/tasks, REST transport) against a taskdispatcher on
// 127.0.0.1, and prints exactly one JSON line for
// tests/integration/test_ct_client.py to assert on.
//
//   node drive.js --port N [--project P] [--location L] [--token T]
//       SCENARIO [JSON]
//
// JSON is the scenario's arguments (queue, url, id, ...).  The line is
//   {"ok":true,"scenario":S,"result":{...}}            exit 0
//   {"ok":false,"scenario":S,"step":"...","error":{...}} exit 1
// An error a scenario expects (NOT_FOUND, ALREADY_EXISTS...) is part of
// its result as {"error":{"code","name","message"}}; any other error ends
// the scenario with ok:false and the step it happened in.
//
// Resources come back as plain JSON through the protos' toObject: int64 as
// numbers, enums as names, bytes as base64, Duration and Timestamp as
// {seconds, nanos} (absent parts are 0).
'use strict';

let CloudTasksClient, PassThroughClient;
try {
	({CloudTasksClient} = require('@google-cloud/tasks'));
	({PassThroughClient} = require('google-auth-library'));
} catch (e) {
	console.log(JSON.stringify({ok: false, step: 'require', error: {
	    name: e.name, message: 'node_modules missing? run ' +
	    '`npm ci --prefix tests/ct`: ' + e.message}}));
	process.exit(2);
}

function usage() {
	console.error('usage: drive.js --port N [--project P] [--location L] ' +
	    '[--token T] SCENARIO [JSON-ARGS]\nscenarios: ' +
	    Object.keys(SCENARIOS).join(' '));
	process.exit(64);
}

const opt = {port: 0, project: 'test-proj', location: 'test-loc',
    token: ''};
const rest = [];
let badArgs = false;
{
	const av = process.argv.slice(2);
	for (let i = 0; i < av.length; i++) {
		const m = /^--(port|project|location|token)$/.exec(av[i]);
		if (m && i + 1 < av.length)
			opt[m[1]] = av[++i];
		else if (m || av[i].startsWith('--'))
			badArgs = true;
		else
			rest.push(av[i]);
	}
}

// The recipe of shared/cloudtasks.md §3.1: all four options are needed
// against a plain HTTP/1.1 server; validateStatus lets non-2xx answers
// reach gax's decoder, so errors become GoogleError with the gRPC code.
// With [server] api_tokens set, the token goes in the transporter's
// default headers.
function newClient() {
	const transporterOptions = {validateStatus: () => true};
	if (opt.token)
		transporterOptions.headers =
		    {authorization: `Bearer ${opt.token}`};
	return new CloudTasksClient({
		fallback: 'rest',
		protocol: 'http',
		apiEndpoint: '127.0.0.1',
		port: Number(opt.port),
		authClient: new PassThroughClient({transporterOptions}),
	});
}

const OBJ_OPTS = {longs: Number, enums: String, bytes: String,
    defaults: false};

// Plain JSON of whatever the client returned.
function plain(v) {
	if (v === null || v === undefined)
		return v === undefined ? null : v;
	if (Buffer.isBuffer(v) || v instanceof Uint8Array)
		return Buffer.from(v).toString('base64');
	if (Array.isArray(v))
		return v.map(plain);
	if (typeof v === 'object') {
		const c = v.constructor;
		if (c && typeof c.toObject === 'function' && c !== Object)
			return c.toObject(v, OBJ_OPTS);
		const out = {};
		for (const k of Object.keys(v))
			out[k] = plain(v[k]);
		return out;
	}
	if (typeof v === 'bigint')
		return Number(v);
	return v;
}

function errInfo(e) {
	return {code: e.code === undefined ? null : e.code,
	    name: e.constructor ? e.constructor.name : String(e.name),
	    message: String(e.message || e).slice(0, 500)};
}

let currentStep = 'setup';

async function step(name, fn) {
	currentStep = name;
	return plain(await fn());
}

// A call that may fail: {ok: value} or {error: {code, name, message}}.
async function attempt(name, fn) {
	currentStep = name;
	try {
		return {ok: plain(await fn())};
	} catch (e) {
		return {error: errInfo(e)};
	}
}

// A call that must fail: its error, or {unexpected: value} when it did not.
async function expectErr(name, fn) {
	const r = await attempt(name, fn);
	return r.error ? {error: r.error} : {unexpected: r.ok};
}

function parent() {
	return `projects/${opt.project}/locations/${opt.location}`;
}

function qname(q) {
	return `${parent()}/queues/${q}`;
}

function tname(q, t) {
	return `${qname(q)}/tasks/${t}`;
}

function nowSec() {
	return Math.floor(Date.now() / 1000);
}

function later(sec) {
	return {seconds: nowSec() + sec};
}

// A task far in the future: it stays in the queue for the scenario.
function parked(a, extra) {
	return Object.assign({
		httpRequest: {url: a.url, httpMethod: 'POST',
		    body: Buffer.from('parked')},
		scheduleTime: later(3600),
	}, extra || {});
}

function lastSeg(name) {
	return String(name).split('/').pop();
}

// The scenario's queue: created, unless args.existing names one that is
// there already (a queue of the config file).
async function ensureQueue(c, a) {
	if (a.existing)
		return;
	await step('createQueue', () => c.createQueue({parent: parent(),
	    queue: {name: qname(a.queue)}}));
}

const SCENARIOS = {
	// GET /v1/projects/P/locations/L (a mixin of the client).
	async location(c) {
		const [loc] = await c.getLocation({name: parent()});
		return {location: plain(loc)};
	},

	async 'create-get-queue'(c, a) {
		const q = a.queue;
		const r = {};
		r.created = await step('createQueue', async () => (await
		    c.createQueue({parent: parent(), queue: {
			name: qname(q),
			rateLimits: {maxDispatchesPerSecond: 10,
			    maxConcurrentDispatches: 5},
			retryConfig: {maxAttempts: 5,
			    maxRetryDuration: {seconds: 3600},
			    minBackoff: {seconds: 1},
			    maxBackoff: {seconds: 10, nanos: 500000000},
			    maxDoublings: 3},
		    }}))[0]);
		r.got = await step('getQueue', async () =>
		    (await c.getQueue({name: qname(q)}))[0]);
		r.dup = await expectErr('createQueue duplicate', async () =>
		    c.createQueue({parent: parent(),
		    queue: {name: qname(q)}}));
		r.defaults = await step('createQueue defaults', async () =>
		    (await c.createQueue({parent: parent(),
		    queue: {name: qname(q + '-d')}}))[0]);
		r.config = await step('getQueue config-file queue', async () =>
		    (await c.getQueue({name: qname('default')}))[0]);
		return r;
	},

	async 'update-queue'(c, a) {
		const q = a.queue;
		const r = {};
		await ensureQueue(c, a);
		r.snake = await step('updateQueue snake mask', async () =>
		    (await c.updateQueue({
			queue: {name: qname(q),
			    rateLimits: {maxDispatchesPerSecond: 20}},
			updateMask: {paths:
			    ['rate_limits.max_dispatches_per_second']},
		    }))[0]);
		r.camel = await step('updateQueue camel mask', async () =>
		    (await c.updateQueue({
			queue: {name: qname(q),
			    retryConfig: {maxAttempts: 7,
			    minBackoff: {seconds: 2}}},
			updateMask: {paths: ['retryConfig.maxAttempts',
			    'retryConfig.minBackoff']},
		    }))[0]);
		r.got = await step('getQueue', async () =>
		    (await c.getQueue({name: qname(q)}))[0]);
		// UpdateQueue creates a missing queue [proto].
		r.upsert = await attempt('updateQueue missing queue', async () =>
		    (await c.updateQueue({
			queue: {name: qname(q + '-u'),
			    rateLimits: {maxDispatchesPerSecond: 3}},
			updateMask: {paths:
			    ['rate_limits.max_dispatches_per_second']},
		    }))[0]);
		r.upsertGot = await attempt('getQueue upserted', async () =>
		    (await c.getQueue({name: qname(q + '-u')}))[0]);
		return r;
	},

	async 'list-queues'(c, a) {
		const n = a.n || 5;
		const r = {};
		for (let i = 0; i < n; i++)
			await step(`createQueue ${i}`, () => c.createQueue({
			    parent: parent(),
			    queue: {name: qname(`${a.queue}-${i}`)}}));
		await step('pauseQueue', () =>
		    c.pauseQueue({name: qname(`${a.queue}-1`)}));
		r.all = await step('listQueues pageSize 2', async () =>
		    (await c.listQueues({parent: parent(), pageSize: 2}))[0]
		    .map((x) => x.name));
		const page = await step('listQueues one page', () =>
		    c.listQueues({parent: parent(), pageSize: 2},
		    {autoPaginate: false}));
		r.page = {names: page[0].map((x) => x.name),
		    nextPageToken: page[2] ? page[2].nextPageToken || '' : ''};
		r.paused = await step('listQueues filter', async () =>
		    (await c.listQueues({parent: parent(),
		    filter: 'state: PAUSED'}))[0]);
		return r;
	},

	async 'pause-resume'(c, a) {
		const q = a.queue;
		const r = {};
		await ensureQueue(c, a);
		r.paused = await step('pauseQueue', async () =>
		    (await c.pauseQueue({name: qname(q)}))[0]);
		r.got = await step('getQueue', async () =>
		    (await c.getQueue({name: qname(q)}))[0]);
		r.resumed = await step('resumeQueue', async () =>
		    (await c.resumeQueue({name: qname(q)}))[0]);
		r.missing = await expectErr('pauseQueue missing', () =>
		    c.pauseQueue({name: qname(q + '-none')}));
		return r;
	},

	async purge(c, a) {
		const q = a.queue;
		const r = {};
		await ensureQueue(c, a);
		for (let i = 0; i < 3; i++)
			await step(`createTask ${i}`, () => c.createTask({
			    parent: qname(q), task: parked(a)}));
		r.before = await step('listTasks before', async () =>
		    (await c.listTasks({parent: qname(q)}))[0].length);
		r.purged = await step('purgeQueue', async () =>
		    (await c.purgeQueue({name: qname(q)}))[0]);
		r.after = await step('listTasks after', async () =>
		    (await c.listTasks({parent: qname(q)}))[0].length);
		// Tasks created after the purge are not purged.
		await new Promise((res) => setTimeout(res, 20));
		await step('createTask after purge', () => c.createTask({
		    parent: qname(q), task: parked(a)}));
		r.later = await step('listTasks later', async () =>
		    (await c.listTasks({parent: qname(q)}))[0].length);
		return r;
	},

	async 'delete-queue'(c, a) {
		const q = a.queue;
		const r = {};
		await ensureQueue(c, a);
		r.deleted = await step('deleteQueue', async () =>
		    (await c.deleteQueue({name: qname(q)}))[0]);
		r.get = await expectErr('getQueue deleted', () =>
		    c.getQueue({name: qname(q)}));
		r.again = await expectErr('deleteQueue again', () =>
		    c.deleteQueue({name: qname(q)}));
		r.config = await expectErr('deleteQueue config-file queue', () =>
		    c.deleteQueue({name: qname('default')}));
		return r;
	},

	// Tasks that reach the target: the test checks what arrives.
	async 'create-task'(c, a) {
		const q = a.queue;
		const r = {};
		await ensureQueue(c, a);
		r.scheduleAt = nowSec() + 2;
		r.named = await step('createTask named', async () =>
		    (await c.createTask({parent: qname(q), responseView: 'FULL',
		    task: {
			name: tname(q, a.id),
			httpRequest: {url: a.url + '/named', httpMethod: 'PUT',
			    headers: {'Content-Type': 'application/json',
			    'X-Custom': 'abc'},
			    body: Buffer.from('{"hello":"world"}')},
			scheduleTime: {seconds: r.scheduleAt},
			dispatchDeadline: {seconds: 45},
		    }}))[0]);
		r.unnamed = await step('createTask unnamed', async () =>
		    (await c.createTask({parent: qname(q), task: {
			httpRequest: {url: a.url + '/unnamed',
			    body: Buffer.from('plain text')},
		    }}))[0]);
		r.get = await step('createTask GET', async () =>
		    (await c.createTask({parent: qname(q), task: {
			httpRequest: {url: a.url + '/get?x=1',
			    httpMethod: 'GET'},
		    }}))[0]);
		return r;
	},

	async 'get-task'(c, a) {
		const q = a.queue;
		const r = {};
		await ensureQueue(c, a);
		r.created = await step('createTask', async () =>
		    (await c.createTask({parent: qname(q), task: parked(a, {
			name: tname(q, a.id),
			httpRequest: {url: a.url, httpMethod: 'POST',
			    headers: {'X-A': 'b'},
			    body: Buffer.from('secret body')},
		    })}))[0]);
		r.basic = await step('getTask BASIC', async () =>
		    (await c.getTask({name: tname(q, a.id)}))[0]);
		r.full = await step('getTask FULL', async () =>
		    (await c.getTask({name: tname(q, a.id),
		    responseView: 'FULL'}))[0]);
		return r;
	},

	async 'list-tasks'(c, a) {
		const q = a.queue;
		const n = a.n || 5;
		const r = {};
		await ensureQueue(c, a);
		r.created = [];
		for (let i = 0; i < n; i++)
			r.created.push(await step(`createTask ${i}`, async () =>
			    lastSeg((await c.createTask({parent: qname(q),
			    task: parked(a)}))[0].name)));
		r.all = await step('listTasks pageSize 2', async () =>
		    (await c.listTasks({parent: qname(q), pageSize: 2}))[0]
		    .map((t) => lastSeg(t.name)));
		const page = await step('listTasks one page', () =>
		    c.listTasks({parent: qname(q), pageSize: 2},
		    {autoPaginate: false}));
		r.page = {names: page[0].map((t) => lastSeg(t.name)),
		    nextPageToken: page[2] ? page[2].nextPageToken || '' : ''};
		r.full = await step('listTasks FULL', async () =>
		    (await c.listTasks({parent: qname(q),
		    responseView: 'FULL'}))[0]);
		r.basic = await step('listTasks BASIC', async () =>
		    (await c.listTasks({parent: qname(q)}))[0]);
		return r;
	},

	async 'delete-task'(c, a) {
		const q = a.queue;
		const r = {};
		await ensureQueue(c, a);
		await step('createTask', () => c.createTask({parent: qname(q),
		    task: parked(a, {name: tname(q, a.id)})}));
		r.deleted = await step('deleteTask', async () =>
		    (await c.deleteTask({name: tname(q, a.id)}))[0]);
		r.get = await expectErr('getTask deleted', () =>
		    c.getTask({name: tname(q, a.id)}));
		r.again = await expectErr('deleteTask again', () =>
		    c.deleteTask({name: tname(q, a.id)}));
		// The name is tombstoned now.
		r.recreate = await expectErr('createTask deleted name', () =>
		    c.createTask({parent: qname(q),
		    task: parked(a, {name: tname(q, a.id)})}));
		return r;
	},

	// A paused queue, a task an hour ahead: RunTask dispatches it now.
	async 'run-task'(c, a) {
		const q = a.queue;
		const r = {};
		await ensureQueue(c, a);
		await step('pauseQueue', () => c.pauseQueue({name: qname(q)}));
		r.created = await step('createTask', async () =>
		    (await c.createTask({parent: qname(q), task: {
			name: tname(q, a.id),
			httpRequest: {url: a.url + '/run', httpMethod: 'POST',
			    body: Buffer.from('run me')},
			scheduleTime: later(3600),
		    }}))[0]);
		r.ran = await step('runTask', async () =>
		    (await c.runTask({name: tname(q, a.id)}))[0]);
		r.missing = await expectErr('runTask missing', () =>
		    c.runTask({name: tname(q, a.id + '-none')}));
		return r;
	},

	// A named task twice; the test re-creates it later (tombstone).
	async dedup(c, a) {
		const q = a.queue;
		const r = {};
		const task = {name: tname(q, a.id),
		    httpRequest: {url: a.url + '/dedup', httpMethod: 'POST'}};
		await ensureQueue(c, a);
		r.first = await attempt('createTask', async () =>
		    (await c.createTask({parent: qname(q), task}))[0]);
		r.dup = await expectErr('createTask duplicate', () =>
		    c.createTask({parent: qname(q), task}));
		return r;
	},

	async errors(c, a) {
		const q = a.queue;
		const r = {};
		await ensureQueue(c, a);
		const task = (extra) => Object.assign({
			httpRequest: {url: a.url, httpMethod: 'POST'},
		}, extra);
		const hr = (extra) => Object.assign({url: a.url,
		    httpMethod: 'POST'}, extra);
		r.getQueueMissing = await expectErr('getQueue missing', () =>
		    c.getQueue({name: qname(q + '-none')}));
		r.getTaskMissing = await expectErr('getTask missing', () =>
		    c.getTask({name: tname(q, 'nope')}));
		r.createTaskNoQueue = await expectErr('createTask no queue',
		    () => c.createTask({parent: qname(q + '-none'),
		    task: task({})}));
		r.deleteTaskMissing = await expectErr('deleteTask missing', () =>
		    c.deleteTask({name: tname(q, 'nope')}));
		r.dupQueue = await expectErr('createQueue duplicate', () =>
		    c.createQueue({parent: parent(), queue: {name: qname(q)}}));
		r.badQueueId = await expectErr('createQueue bad id', () =>
		    c.createQueue({parent: parent(),
		    queue: {name: qname('bad_id')}}));
		r.badUrl = await expectErr('createTask ftp url', () =>
		    c.createTask({parent: qname(q),
		    task: task({httpRequest: hr({url: 'ftp://x/y'})})}));
		r.shortDeadline = await expectErr('createTask deadline 5s', () =>
		    c.createTask({parent: qname(q),
		    task: task({dispatchDeadline: {seconds: 5}})}));
		r.longDeadline = await expectErr('createTask deadline 31m', () =>
		    c.createTask({parent: qname(q),
		    task: task({dispatchDeadline: {seconds: 1860}})}));
		r.getWithBody = await expectErr('createTask GET with body', () =>
		    c.createTask({parent: qname(q), task: task({
			httpRequest: hr({httpMethod: 'GET',
			    body: Buffer.from('x')})})}));
		r.farSchedule = await expectErr('createTask in 31 days', () =>
		    c.createTask({parent: qname(q),
		    task: task({scheduleTime: later(31 * 86400)})}));
		r.badTaskId = await expectErr('createTask bad id', () =>
		    c.createTask({parent: qname(q),
		    task: task({name: tname(q, 'bad.id')})}));
		return r;
	},

	// One client call: {"method": "getTask", "request": {...},
	// "options": {...}}.  Resolves to the call's first result, or the
	// error; ok:true either way.
	async call(c, a) {
		if (typeof c[a.method] !== 'function')
			throw new Error(`no client method ${a.method}`);
		return attempt(a.method, async () =>
		    (await c[a.method](a.request || {}, a.options))[0]);
	},
};

async function main() {
	if (badArgs || rest.length < 1 || !opt.port)
		usage();
	const name = rest[0];
	const fn = SCENARIOS[name];
	if (!fn)
		usage();
	let args = {};
	if (rest[1] !== undefined)
		args = JSON.parse(rest[1]);
	const client = newClient();
	try {
		const result = await fn(client, args);
		console.log(JSON.stringify({ok: true, scenario: name, result}));
		process.exitCode = 0;
	} catch (e) {
		console.log(JSON.stringify({ok: false, scenario: name,
		    step: currentStep, error: errInfo(e)}));
		process.exitCode = 1;
	} finally {
		await client.close().catch(() => {});
	}
}

main();
