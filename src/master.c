/*
 * master.c: the supervisor.  One event loop: signals arrive on a signalfd
 * and each child's ctl socket is an fd in the loop, so every state change
 * (reap, respawn, reload, stop) happens in loop context and no signal
 * handler ever runs here.
 *
 * Children belong to a generation: one parsed config, its listening
 * sockets (the API's and the dashboard's) and a slot table (the
 * listener, workers 1..N, the scheduler).  The current generation is
 * respawned when a child dies, throttled when it keeps dying young
 * (keepalived's 1 s doubling to 60 s, plus Postfix's rule that dying
 * before the first unit of work counts as young).  A
 * reload starts a whole new generation next to the old one and, once
 * the new children say READY, tells the old ones to finish and exit
 * (nginx).  Older generations are never respawned; their config stays
 * alive until their last child is gone.
 *
 * Under systemd (Type=notify) the master alone speaks for the unit:
 * READY=1 once the first generation is up and Redis answers, RELOADING=1
 * and READY=1 around a reload, STOPPING=1, a STATUS= line whenever the
 * picture changes, and WATCHDOG=1 while the serving generation is whole
 * and its Redis links are up (see notify_update and on_watchdog).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "dash.h"
#include "evloop.h"
#include "log.h"
#include "master.h"
#include "proc.h"
#include "redischeck.h"
#include "sdnotify.h"
#include "sig.h"
#include "stats.h"
#include "util.h"

#define RESPAWN_MIN_MS		1000	/* first delay after a young death */
#define RESPAWN_MAX_MS		60000	/* the delay doubles up to this */
#define RESPAWN_STABLE_MS	60000	/* ran this long: restart at once */
#define READY_WAIT_MS		10000	/* reload: wait for the new READYs */
#define BIND_RETRY_MS		5000	/* startup: the port may be draining */
#define BIND_RETRY_STEP_MS	100
#define KILL_GRACE_MS		5000	/* on top of shutdown_timeout */
#define LISTEN_BACKLOG		511
#define REDIS_IGNORED		-1	/* gen_healthy: children only */
#define STATUS_MAX		1024
#define NOTE_MAX		512

struct master;
struct gen;

struct slot {
	struct master	*m;
	struct gen	*gen;
	enum role	 role;
	int		 index;		/* worker number from 1; else 0 */
	pid_t		 pid;		/* 0 when not running */
	int		 ctl_fd;	/* master's end; -1 when closed */
	int		 ready;		/* sent CTL_READY since its spawn */
	int		 quitting;	/* told to quit: its exit is expected */
	int		 config_fail;	/* exited EX_CONFIG: never respawn */
	int		 redis_up;	/* its Redis link, as it last said */
	uint64_t	 redis_down;	/* monotonic ms it went down */
	unsigned	 spawns;	/* forks into this slot */
	uint64_t	 started;	/* monotonic ms of the last spawn */
	uint64_t	 delay;		/* wait before the next young respawn */
	uint64_t	 timer;		/* pending respawn; 0 when none */
};

struct gen {
	unsigned	 num;
	struct conf	*conf;
	int		 conf_owned;	/* not generation 1's: the caller's */
	int		 listen_fd;	/* -1 once handed on or closed */
	int		 dash_fd;	/* the same; -1 too with no dashboard */
	struct slot	*slots;		/* listener, workers 1..N, scheduler */
	int		 nslots;
	uint64_t	 kill_timer;	/* retired: SIGKILL stragglers */
	struct gen	*next;
};

struct master {
	struct evloop	*ev;
	int		 sigfd;
	struct gen	*gens;		/* every generation with children */
	struct gen	*cur;		/* serving; respawned */
	struct gen	*pending;	/* starting by a reload; respawned */
	unsigned	 lastgen;
	uint64_t	 ready_timer;
	int		 hup_queued;	/* SIGHUP during a reload */
	int		 verbose;	/* -v: debug survives reloads */
	int		 stopping;
	int		 stop_signals;	/* SIGTERM/SIGINTs seen */
	uint64_t	 kill_timer;
	int		 status;	/* exit code of master_run */

	/* sd_notify: what the service manager was last told. */
	int		 sd_ready;	/* the first READY=1 is out */
	uint64_t	 watchdog_ms;	/* WATCHDOG=1 interval; 0: none */
	uint64_t	 watchdog_timer;
	char		 sd_status[STATUS_MAX];
	char		 note[NOTE_MAX];	/* the last reload's failure */
};

static int	listen_open(const char *, int, char *, size_t);
static int	listen_start(struct master *, const char *, int);
static void	addr_format(int, const char *, int, char *, size_t);
static struct gen *gen_new(struct master *, struct conf *, int, int, int);
static void	gen_close_fds(struct master *, struct gen *);
static void	gen_start(struct master *, struct gen *);
static void	gen_retire(struct master *, struct gen *);
static void	gen_reap(struct master *);
static void	gen_free(struct master *, struct gen *);
static int	gen_live(struct master *, struct gen *);
static int	gen_running(struct gen *);
static void	slot_name(const struct slot *, char *, size_t);
static void	slot_spawn(struct master *, struct slot *);
static void	slot_quit(struct slot *);
static void	slot_ctl_close(struct master *, struct slot *);
static struct slot *slot_find(struct master *, pid_t);
static void	child_exited(struct master *, struct slot *, int);
static void	child_respawn(struct master *, struct slot *, const char *);
static void	child_config_failed(struct master *, struct slot *);
static void	reap(struct master *);
static void	reload_request(struct master *);
static void	reload_start(struct master *);
static int	reload_conf(struct master *, struct conf *, int *, int *,
		    char *, size_t);
static void	reload_check(struct master *);
static void	reload_commit(struct master *, int);
static void	reload_abort(struct master *, const char *);
static void	shutdown_start(struct master *, int);
static void	kill_gen(struct gen *);
static void	kill_all(struct master *);
static void	check_done(struct master *);
static void	title_update(struct master *);
static const char *env_get(const char *);
static int	redis_check(const struct conf *);
static int	gen_healthy(struct master *, struct gen *, int);
static void	status_format(struct master *, char *, size_t);
static void	notify_update(struct master *);
static void	notify_ready(struct master *);
static void	on_watchdog(struct evloop *, void *);
static void	on_signal(struct evloop *, int, int, void *);
static void	on_ctl(struct evloop *, int, int, void *);
static void	on_respawn(struct evloop *, void *);
static void	on_ready_timeout(struct evloop *, void *);
static void	on_kill_timeout(struct evloop *, void *);
static void	on_gen_kill_timeout(struct evloop *, void *);

int
master_run(struct conf *conf)
{
	static const int	 sigs[] = {
		SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT
	};
	struct master		 m;
	struct gen		*g;
	int			 fd, dfd = -1;

	memset(&m, 0, sizeof(m));
	m.status = TD_EXIT_OK;
	log_procinit("%s", proc_role_name(ROLE_MASTER));
	/* main() set the level; above the config's, it was -v. */
	m.verbose = log_getlevel() == LOG_LEVEL_DEBUG &&
	    conf->log_level != LOG_LEVEL_DEBUG;
	/* Before the first fork, so no signal is ever lost or handled. */
	if ((m.sigfd = sig_open(sigs, (int)TD_NELEM(sigs))) == -1) {
		log_warn("signalfd");
		return TD_EXIT_SOFTWARE;
	}
	/* Before the first fork too: every child shares this page. */
	if (stats_init() == -1)
		log_warn("stats: mmap");
	/* Unsets $NOTIFY_SOCKET before any fork: no child inherits it. */
	(void)sdnotify_init();
	if (redis_check(conf) == -1) {
		close(m.sigfd);
		sdnotify_close();
		return TD_EXIT_CONFIG;
	}
	/*
	 * Once per master, before the first fork: every listener inherits
	 * it, so sessions outlive reloads and end with the master.
	 */
	dash_key_init();
	if ((fd = listen_start(&m, conf->listen_host,
	    conf->listen_port)) == -1 || (conf->dash_port != 0 &&
	    (dfd = listen_start(&m, conf->dash_host,
	    conf->dash_port)) == -1)) {
		if (fd != -1)
			close(fd);
		(void)sdnotify_send("STATUS=cannot listen; exiting");
		close(m.sigfd);
		sdnotify_close();
		return m.status;
	}
	m.ev = evloop_new();
	if (evloop_fd_set(m.ev, m.sigfd, EV_READ, on_signal, &m) == -1)
		fatal("evloop_fd_set");
	if ((m.watchdog_ms = sdnotify_watchdog_usec() / 2000) > 0)
		m.watchdog_timer = evloop_timer_add(m.ev, m.watchdog_ms,
		    on_watchdog, &m);
	g = gen_new(&m, conf, 0, fd, dfd);
	m.cur = g;
	title_update(&m);
	log_info("starting generation %u: listener, %d worker%s, scheduler",
	    g->num, conf->workers, conf->workers == 1 ? "" : "s");
	gen_start(&m, g);
	notify_update(&m);
	if (evloop_run(m.ev) == -1 && m.status == TD_EXIT_OK)
		m.status = TD_EXIT_SOFTWARE;
	evloop_timer_del(m.ev, m.watchdog_timer);

	while ((g = m.gens) != NULL)
		gen_free(&m, g);
	evloop_free(m.ev);
	close(m.sigfd);
	(void)sdnotify_send("STATUS=exiting with status %d", m.status);
	sdnotify_close();
	log_info("exiting with status %d", m.status);
	return m.status;
}

/*
 * ARCHITECTURE.md says the master never talks to Redis.  This is the one
 * deliberate exception: once, before the first fork, a blocking look at
 * the server's version and persistence settings, so that a Redis too old
 * to run on stops us with a clear message (exit 78) instead of a respawn
 * loop, and one that may lose tasks is named in the log at start, where
 * an operator looks.  Unreachable is no reason not to start: the
 * children connect and retry by themselves.  -1: refuse to start.
 */
static int
redis_check(const struct conf *conf)
{
	struct redischeck_report	 r;
	char				 err[256];
	int				 i;

	(void)sdnotify_send("STATUS=checking redis at %s", conf->redis_addr);
	if (redischeck_run(conf, &r, err, sizeof(err)) == -1) {
		log_warnx("redis check: %s addr=%s; starting anyway (the "
		    "children keep trying)", err, conf->redis_addr);
		return 0;
	}
	for (i = 0; i < r.nmsg; i++) {
		if (r.msg[i].level == REDISCHECK_INFO)
			log_info("%s", r.msg[i].text);
		else
			log_warnx("%s", r.msg[i].text);
	}
	if (r.refuse) {
		log_warnx("refusing to start: redis at %s cannot run "
		    "taskdispatcher", conf->redis_addr);
		(void)sdnotify_send("STATUS=refusing to start: redis %s at %s "
		    "is older than %d.%d", r.version, conf->redis_addr,
		    REDISCHECK_MIN_MAJOR, REDISCHECK_MIN_MINOR);
		return -1;
	}
	log_info("redis check: version %s addr=%s warnings=%d",
	    r.version[0] != '\0' ? r.version : "unknown", conf->redis_addr,
	    r.warnings);
	return 0;
}

/*
 * Open a first listening socket (the API's, then the dashboard's).  A
 * previous master's listener may still hold the port while it drains, so
 * EADDRINUSE is retried for a while; a SIGTERM, SIGINT or SIGQUIT
 * meanwhile ends the wait.
 */
static int
listen_start(struct master *m, const char *host, int port)
{
	struct pollfd	pfd;
	uint64_t	deadline = util_mono_ms() + BIND_RETRY_MS;
	char		err[512];
	int		fd, sig, said = 0;

	for (;;) {
		fd = listen_open(host, port, err, sizeof(err));
		if (fd != -1)
			return fd;
		if (errno != EADDRINUSE || util_mono_ms() >= deadline) {
			log_warnx("%s", err);
			m->status = TD_EXIT_TRANSIENT;
			return -1;
		}
		if (!said++)
			log_info("%s; retrying for up to %d s", err,
			    BIND_RETRY_MS / 1000);
		pfd.fd = m->sigfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, BIND_RETRY_STEP_MS) <= 0)
			continue;
		while ((sig = sig_read(m->sigfd, NULL)) > 0) {
			if (sig == SIGTERM || sig == SIGINT ||
			    sig == SIGQUIT) {
				log_info("received %s before start; exiting",
				    sig_name(sig));
				m->status = TD_EXIT_OK;
				return -1;
			}
			log_debug("ignoring %s before start", sig_name(sig));
		}
	}
}

/*
 * Bind and listen on host:port (host "" = every address).  Non-blocking
 * and without CLOEXEC: the listener child inherits it across fork.  On
 * error, errno is that of the last failure and err says what failed.
 */
static int
listen_open(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	char		 serv[16], where[TD_HOST_MAX + 16];
	int		 fd = -1, rc, on = 1, saved = 0;

	addr_format(-1, host, port, where, sizeof(where));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%d", port);
	rc = getaddrinfo(host[0] != '\0' ? host : NULL, serv, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "listen on %s: %s", where,
		    gai_strerror(rc));
		errno = EADDRNOTAVAIL;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		/* Connections of a previous run in TIME_WAIT must not
		 * keep us from binding. */
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == 0 && bind(fd, ai->ai_addr,
		    ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(err, errlen, "listen on %s: %s", where,
		    strerror(saved));
		errno = saved;
		return -1;
	}
	addr_format(fd, host, port, where, sizeof(where));
	log_info("listening on %s", where);
	return fd;
}

/* "host:port", "[v6]:port"; from the bound socket when fd >= 0. */
static void
addr_format(int fd, const char *host, int port, char *buf, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof(ss);
	char			h[NI_MAXHOST], s[NI_MAXSERV];

	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), s,
	    sizeof(s), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
		snprintf(buf, len, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, s);
		return;
	}
	if (host[0] == '\0')
		host = "*";
	snprintf(buf, len, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
	    port);
}

static struct gen *
gen_new(struct master *m, struct conf *conf, int owned, int listen_fd,
    int dash_fd)
{
	struct gen	*g = xcalloc(1, sizeof(*g));
	struct slot	*s;
	int		 i;

	g->num = ++m->lastgen;
	g->conf = conf;
	g->conf_owned = owned;
	g->listen_fd = listen_fd;
	g->dash_fd = dash_fd;
	g->nslots = conf->workers + 2;
	g->slots = xcalloc((size_t)g->nslots, sizeof(*g->slots));
	for (i = 0; i < g->nslots; i++) {
		s = &g->slots[i];
		s->m = m;
		s->gen = g;
		s->ctl_fd = -1;
		s->delay = RESPAWN_MIN_MS;
		if (i == 0)
			s->role = ROLE_LISTENER;
		else if (i == g->nslots - 1)
			s->role = ROLE_SCHEDULER;
		else {
			s->role = ROLE_WORKER;
			s->index = i;
		}
	}
	g->next = m->gens;
	m->gens = g;
	return g;
}

static void
gen_start(struct master *m, struct gen *g)
{
	int	i;

	for (i = 0; i < g->nslots; i++)
		slot_spawn(m, &g->slots[i]);
}

/*
 * The generation is replaced: nothing of it is respawned, and its running
 * children are told to finish what they hold and exit.  Should one hang,
 * it is killed after the same grace a shutdown allows.
 */
static void
gen_retire(struct master *m, struct gen *g)
{
	struct slot	*s;
	int		 i;

	for (i = 0; i < g->nslots; i++) {
		s = &g->slots[i];
		evloop_timer_del(m->ev, s->timer);
		s->timer = 0;
		if (s->pid > 0 && !s->quitting)
			slot_quit(s);
	}
	if (gen_running(g) && g->kill_timer == 0)
		g->kill_timer = evloop_timer_add(m->ev,
		    g->conf->shutdown_timeout_ms + KILL_GRACE_MS,
		    on_gen_kill_timeout, g);
}

/* Free every replaced generation whose last child is gone. */
static void
gen_reap(struct master *m)
{
	struct gen	*g, *next;

	for (g = m->gens; g != NULL; g = next) {
		next = g->next;
		if (!gen_live(m, g) && !gen_running(g))
			gen_free(m, g);
	}
}

/*
 * A reload in progress shares a socket with the generation it replaces:
 * the last one to go closes it.  g is no longer in m->gens.
 */
static void
gen_close_fds(struct master *m, struct gen *g)
{
	struct gen	*o;

	for (o = m->gens; o != NULL; o = o->next) {
		if (g->listen_fd >= 0 && o->listen_fd == g->listen_fd)
			g->listen_fd = -1;
		if (g->dash_fd >= 0 && o->dash_fd == g->dash_fd)
			g->dash_fd = -1;
	}
	if (g->listen_fd >= 0)
		close(g->listen_fd);
	if (g->dash_fd >= 0)
		close(g->dash_fd);
	g->listen_fd = g->dash_fd = -1;
}

static void
gen_free(struct master *m, struct gen *g)
{
	struct gen	**gp;
	int		  i;

	for (gp = &m->gens; *gp != NULL; gp = &(*gp)->next)
		if (*gp == g) {
			*gp = g->next;
			break;
		}
	for (i = 0; i < g->nslots; i++) {
		evloop_timer_del(m->ev, g->slots[i].timer);
		slot_ctl_close(m, &g->slots[i]);
	}
	evloop_timer_del(m->ev, g->kill_timer);
	gen_close_fds(m, g);
	if (g->conf_owned)
		free(g->conf);
	free(g->slots);
	if (m->cur == g)
		m->cur = NULL;
	if (m->pending == g)
		m->pending = NULL;
	free(g);
}

/* Serving or starting: its children are respawned. */
static int
gen_live(struct master *m, struct gen *g)
{
	return g == m->cur || g == m->pending;
}

static int
gen_running(struct gen *g)
{
	int	i, n = 0;

	for (i = 0; i < g->nslots; i++)
		if (g->slots[i].pid > 0)
			n++;
	return n;
}

/* "listener", "worker 3", "scheduler": as in titles and log prefixes. */
static void
slot_name(const struct slot *s, char *buf, size_t len)
{
	if (s->role == ROLE_WORKER)
		snprintf(buf, len, "%s %d", proc_role_name(s->role), s->index);
	else
		snprintf(buf, len, "%s", proc_role_name(s->role));
}

static void
slot_spawn(struct master *m, struct slot *s)
{
	struct proc_env	env;
	char		name[32];
	uint64_t	wait;
	int		fd;

	s->timer = 0;
	memset(&env, 0, sizeof(env));
	env.role = s->role;
	env.index = s->index;
	env.gen = s->gen->num;
	env.ctl_fd = -1;
	env.listen_fd = s->gen->listen_fd;
	env.dash_fd = s->gen->dash_fd;
	env.conf = s->gen->conf;
	slot_name(s, name, sizeof(name));
	if ((s->pid = proc_spawn(&env, &fd)) == -1) {
		s->pid = 0;
		wait = s->delay;
		s->delay = TD_MIN(s->delay * 2, RESPAWN_MAX_MS);
		log_warn("cannot start %s; retrying in %llu s", name,
		    (unsigned long long)(wait / 1000));
		s->timer = evloop_timer_add(m->ev, wait, on_respawn, s);
		return;
	}
	s->ctl_fd = fd;
	s->ready = 0;
	s->quitting = 0;
	s->started = util_mono_ms();
	s->redis_up = 0;
	s->redis_down = s->started;
	if (s->spawns++ > 0)
		stats_restart(s->role);
	if (evloop_fd_set(m->ev, fd, EV_READ, on_ctl, s) == -1)
		fatal("evloop_fd_set");
	log_debug("%s started (pid %ld) gen=%u", name, (long)s->pid,
	    s->gen->num);
}

/* Ask a child to finish and exit 0; a signal if the channel is gone. */
static void
slot_quit(struct slot *s)
{
	s->quitting = 1;
	if (s->ctl_fd >= 0 &&
	    ctl_send(s->ctl_fd, CTL_QUIT, s->gen->num, 0) == 0)
		return;
	if (kill(s->pid, SIGTERM) == -1 && errno != ESRCH)
		log_warn("kill %ld", (long)s->pid);
}

static void
slot_ctl_close(struct master *m, struct slot *s)
{
	if (s->ctl_fd < 0)
		return;
	evloop_fd_del(m->ev, s->ctl_fd);
	close(s->ctl_fd);
	s->ctl_fd = -1;
}

static struct slot *
slot_find(struct master *m, pid_t pid)
{
	struct gen	*g;
	int		 i;

	for (g = m->gens; g != NULL; g = g->next)
		for (i = 0; i < g->nslots; i++)
			if (g->slots[i].pid == pid)
				return &g->slots[i];
	return NULL;
}

/* SIGCHLD is not queued: one may stand for many exits. */
static void
reap(struct master *m)
{
	struct slot	*s;
	pid_t		 pid;
	int		 status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0)
			break;
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				log_warn("waitpid");
			break;
		}
		if ((s = slot_find(m, pid)) == NULL) {
			log_debug("reaped unknown child %ld", (long)pid);
			continue;
		}
		child_exited(m, s, status);
	}
	gen_reap(m);
	check_done(m);
}

static void
child_exited(struct master *m, struct slot *s, int status)
{
	char	name[32], how[128];

	slot_name(s, name, sizeof(name));
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "%s (pid %ld) killed by signal %d",
		    name, (long)s->pid, WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "%s (pid %ld) exited with status %d",
		    name, (long)s->pid, WEXITSTATUS(status));
	s->pid = 0;
	slot_ctl_close(m, s);

	if (m->stopping || s->quitting || !gen_live(m, s->gen)) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == TD_EXIT_OK)
			log_info("%s gen=%u", how, s->gen->num);
		else
			log_warnx("%s gen=%u", how, s->gen->num);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == TD_EXIT_CONFIG) {
		log_warnx("%s (configuration error); not restarting", how);
		s->config_fail = 1;
		child_config_failed(m, s);
		return;
	}
	child_respawn(m, s, how);
}

/*
 * A child that served for a while restarts at once; one that died young,
 * or before it ever said READY, waits, twice as long each time.
 */
static void
child_respawn(struct master *m, struct slot *s, const char *how)
{
	uint64_t	ran = util_mono_ms() - s->started, wait;

	if (ran >= RESPAWN_STABLE_MS && s->ready) {
		s->delay = RESPAWN_MIN_MS;
		log_warnx("%s; restarting", how);
		wait = 0;
	} else {
		wait = s->delay;
		s->delay = TD_MIN(s->delay * 2, RESPAWN_MAX_MS);
		log_warnx("%s; restarting in %llu s", how,
		    (unsigned long long)(wait / 1000));
	}
	s->timer = evloop_timer_add(m->ev, wait, on_respawn, s);
}

/*
 * EX_CONFIG is permanent.  In a generation still starting, it ends the
 * reload.  Otherwise we cannot serve without the listener or the
 * scheduler, nor without workers when some were asked for: stop, and
 * exit 78 so that systemd does not loop either.
 */
static void
child_config_failed(struct master *m, struct slot *s)
{
	char		 name[32], why[80];
	struct gen	*g = s->gen;
	int		 i, left = 0;

	slot_name(s, name, sizeof(name));
	if (g == m->pending) {
		snprintf(why, sizeof(why), "%s exited with status %d", name,
		    TD_EXIT_CONFIG);
		reload_abort(m, why);
		return;
	}
	for (i = 0; i < g->nslots; i++)
		if (g->slots[i].role == ROLE_WORKER &&
		    !g->slots[i].config_fail)
			left++;
	if (s->role == ROLE_WORKER && left > 0) {
		log_warnx("%d other worker%s can still run", left,
		    left == 1 ? "" : "s");
		return;
	}
	if (s->role == ROLE_WORKER)
		log_warnx("no worker can run; shutting down");
	else
		log_warnx("%s cannot run; shutting down", name);
	shutdown_start(m, TD_EXIT_CONFIG);
}

static void
reload_request(struct master *m)
{
	if (m->stopping) {
		log_info("reload: ignored while shutting down");
		return;
	}
	if (m->pending != NULL) {
		m->hup_queued = 1;
		log_info("reload: generation %u is still starting; queued",
		    m->pending->num);
		return;
	}
	reload_start(m);
}

/*
 * Parse into a new struct conf: the running generation keeps its own
 * until its last child exits.  Nothing changes unless the whole new
 * config is valid and its socket could be opened.
 */
static void
reload_start(struct master *m)
{
	struct conf	*conf = xcalloc(1, sizeof(*conf));
	struct gen	*g;
	char		 err[1024];
	int		 fd, dfd;

	/* Type=notify-reload waits for this, then for READY=1. */
	(void)sdnotify_reloading();
	if (reload_conf(m, conf, &fd, &dfd, err, sizeof(err)) == -1) {
		free(conf);
		log_warnx("reload: %s; keeping generation %u", err,
		    m->cur->num);
		snprintf(m->note, sizeof(m->note), "reload failed: %.400s; "
		    "kept generation %u", err, m->cur->num);
		notify_ready(m);
		return;
	}
	log_setlevel(m->verbose ? LOG_LEVEL_DEBUG : conf->log_level);
	g = gen_new(m, conf, 1, fd, dfd);
	m->pending = g;
	log_info("reload: starting generation %u: listener, %d worker%s, "
	    "scheduler", g->num, conf->workers, conf->workers == 1 ? "" : "s");
	gen_start(m, g);
	m->ready_timer = evloop_timer_add(m->ev, READY_WAIT_MS,
	    on_ready_timeout, m);
	reload_check(m);
}

/*
 * Load and validate; reuse each listening socket whose address stayed
 * (*dfd is -1 with the dashboard off).  -1 with the reason in err, and
 * no socket left open that was opened here.
 */
static int
reload_conf(struct master *m, struct conf *conf, int *fd, int *dfd,
    char *err, size_t errlen)
{
	const struct conf	*old = m->cur->conf;
	char			 path[PATH_MAX];

	util_strlcpy(path, old->path, sizeof(path));
	conf_defaults(conf);
	if (conf_load(conf, path, err, errlen) == -1 ||
	    conf_apply_env(conf, env_get, err, errlen) == -1)
		return -1;
	if (conf->path[0] == '\0')
		util_strlcpy(conf->path, path, sizeof(conf->path));
	if (strcmp(conf->listen_host, old->listen_host) == 0 &&
	    conf->listen_port == old->listen_port)
		*fd = m->cur->listen_fd;
	else if ((*fd = listen_open(conf->listen_host, conf->listen_port, err,
	    errlen)) == -1)
		return -1;
	if (conf->dash_port == 0)
		*dfd = -1;
	else if (strcmp(conf->dash_host, old->dash_host) == 0 &&
	    conf->dash_port == old->dash_port && m->cur->dash_fd >= 0)
		*dfd = m->cur->dash_fd;
	else if ((*dfd = listen_open(conf->dash_host, conf->dash_port, err,
	    errlen)) == -1) {
		if (*fd != m->cur->listen_fd)
			close(*fd);
		return -1;
	}
	return 0;
}

/* Every child of the new generation is up: switch. */
static void
reload_check(struct master *m)
{
	struct gen	*g = m->pending;
	int		 i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nslots; i++)
		if (g->slots[i].pid == 0 || !g->slots[i].ready)
			return;
	reload_commit(m, 0);
}

static void
reload_commit(struct master *m, int timed_out)
{
	struct gen	*old = m->cur, *g = m->pending;
	int		 i, late = 0;

	evloop_timer_del(m->ev, m->ready_timer);
	m->ready_timer = 0;
	if (timed_out) {
		for (i = 0; i < g->nslots; i++)
			if (!g->slots[i].ready)
				late++;
		log_warnx("reload: %d child%s of generation %u not ready "
		    "after %d s; switching anyway", late,
		    late == 1 ? "" : "ren", g->num, READY_WAIT_MS / 1000);
	}
	m->cur = g;
	m->pending = NULL;
	/* Its listener keeps its own copy of the socket until it drains. */
	if (old->listen_fd >= 0 && old->listen_fd != g->listen_fd)
		close(old->listen_fd);
	old->listen_fd = -1;
	if (old->dash_fd >= 0 && old->dash_fd != g->dash_fd)
		close(old->dash_fd);
	old->dash_fd = -1;
	gen_retire(m, old);
	title_update(m);
	log_info("reload: config OK, generation %u", g->num);
	m->note[0] = '\0';
	notify_ready(m);
	gen_reap(m);
	if (m->hup_queued) {
		m->hup_queued = 0;
		reload_start(m);
	}
}

static void
reload_abort(struct master *m, const char *why)
{
	struct gen	*g = m->pending;

	evloop_timer_del(m->ev, m->ready_timer);
	m->ready_timer = 0;
	m->pending = NULL;
	if (g->listen_fd >= 0 && g->listen_fd != m->cur->listen_fd)
		close(g->listen_fd);
	g->listen_fd = -1;
	if (g->dash_fd >= 0 && g->dash_fd != m->cur->dash_fd)
		close(g->dash_fd);
	g->dash_fd = -1;
	gen_retire(m, g);
	log_setlevel(m->verbose ? LOG_LEVEL_DEBUG : m->cur->conf->log_level);
	log_warnx("reload: %s; keeping generation %u", why, m->cur->num);
	snprintf(m->note, sizeof(m->note), "reload to generation %u failed: "
	    "%s; kept generation %u", g->num, why, m->cur->num);
	notify_ready(m);
	gen_reap(m);
	if (m->hup_queued) {
		m->hup_queued = 0;
		reload_start(m);
	}
}

/*
 * Stop: no more respawns; every child is told to finish and exit, and is
 * killed if it has not after the longest shutdown_timeout of the live
 * configs plus a grace period.
 */
static void
shutdown_start(struct master *m, int status)
{
	struct gen	*g;
	struct slot	*s;
	uint64_t	 timeout = 0;
	int		 i;

	m->stopping = 1;
	m->status = status;
	evloop_timer_del(m->ev, m->ready_timer);
	m->ready_timer = 0;
	m->hup_queued = 0;
	for (g = m->gens; g != NULL; g = g->next) {
		timeout = TD_MAX(timeout, g->conf->shutdown_timeout_ms);
		for (i = 0; i < g->nslots; i++) {
			s = &g->slots[i];
			evloop_timer_del(m->ev, s->timer);
			s->timer = 0;
			if (s->pid > 0 && !s->quitting)
				slot_quit(s);
		}
	}
	m->kill_timer = evloop_timer_add(m->ev, timeout + KILL_GRACE_MS,
	    on_kill_timeout, m);
	title_update(m);
	(void)sdnotify_send("STOPPING=1\nSTATUS=stopping");
	check_done(m);
}

static void
kill_gen(struct gen *g)
{
	int	i;

	for (i = 0; i < g->nslots; i++)
		if (g->slots[i].pid > 0 &&
		    kill(g->slots[i].pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("kill %ld", (long)g->slots[i].pid);
}

static void
kill_all(struct master *m)
{
	struct gen	*g;

	for (g = m->gens; g != NULL; g = g->next)
		kill_gen(g);
}

/* Stopping and nobody left: leave the loop. */
static void
check_done(struct master *m)
{
	struct gen	*g;

	if (!m->stopping)
		return;
	for (g = m->gens; g != NULL; g = g->next)
		if (gen_running(g))
			return;
	evloop_timer_del(m->ev, m->kill_timer);
	m->kill_timer = 0;
	evloop_stop(m->ev);
}

static void
title_update(struct master *m)
{
	util_title_set("taskdispatcher: master [gen %u]%s",
	    m->cur != NULL ? m->cur->num : 0,
	    m->stopping ? " (exiting)" : "");
}

/* conf_apply_env wants a const-returning getenv. */
static const char *
env_get(const char *name)
{
	return getenv(name);
}

static void
on_signal(struct evloop *ev, int fd, int events, void *arg)
{
	struct master	*m = arg;
	int		 sig, pid;

	(void)ev;
	(void)events;
	while ((sig = sig_read(fd, &pid)) > 0) {
		if (sig != SIGCHLD)
			log_info("received %s from pid %d", sig_name(sig), pid);
		switch (sig) {
		case SIGCHLD:
			reap(m);
			break;
		case SIGHUP:
			reload_request(m);
			break;
		case SIGTERM:
		case SIGINT:
			if (m->stop_signals++ > 0) {
				log_warnx("shutdown: killing every child now");
				kill_all(m);
			} else if (!m->stopping) {
				log_info("shutting down");
				shutdown_start(m, TD_EXIT_OK);
			}
			break;
		case SIGQUIT:
			/* No waiting: whatever they hold, their leases
			 * expire and the scheduler requeues it. */
			log_warnx("killing every child and exiting");
			(void)sdnotify_send("STOPPING=1\nSTATUS=killing "
			    "every child and exiting");
			kill_all(m);
			m->status = TD_EXIT_OK;
			evloop_stop(m->ev);
			return;
		}
	}
	if (sig == -1)
		log_warn("signalfd read");
	notify_update(m);
}

static void
on_ctl(struct evloop *ev, int fd, int events, void *arg)
{
	struct slot	*s = arg;
	struct master	*m = s->m;
	struct ctl_msg	 msg;
	char		 name[32];
	int		 r;

	(void)ev;
	(void)events;
	slot_name(s, name, sizeof(name));
	for (;;) {
		if ((r = ctl_recv(fd, &msg)) == 1) {
			if (msg.gen != s->gen->num)
				continue;
			if (msg.type == CTL_REDIS) {
				if (s->redis_up && !msg.arg)
					s->redis_down = util_mono_ms();
				s->redis_up = msg.arg != 0;
				log_debug("%s (pid %ld) redis %s gen=%u", name,
				    (long)s->pid, msg.arg ? "up" : "down",
				    s->gen->num);
				continue;
			}
			if (msg.type == CTL_READY && !s->ready) {
				s->ready = 1;
				s->redis_up = msg.arg != 0;
				log_debug("%s (pid %ld) ready gen=%u redis=%s",
				    name, (long)s->pid, s->gen->num,
				    msg.arg ? "up" : "down");
				if (s->gen == m->pending)
					reload_check(m);
				break;
			}
			continue;
		}
		if (r == -1 && errno == EAGAIN)
			break;
		/* EOF: the child is gone or going; SIGCHLD tells how. */
		if (r == -1)
			log_warn("ctl %s (pid %ld)", name, (long)s->pid);
		slot_ctl_close(m, s);
		break;
	}
	notify_update(m);
}

static void
on_respawn(struct evloop *ev, void *arg)
{
	struct slot	*s = arg;
	struct master	*m = s->m;

	(void)ev;
	s->timer = 0;
	if (m->stopping || !gen_live(m, s->gen) || s->pid > 0)
		return;
	slot_spawn(m, s);
	notify_update(m);
}

static void
on_ready_timeout(struct evloop *ev, void *arg)
{
	struct master	*m = arg;

	(void)ev;
	m->ready_timer = 0;
	if (m->pending != NULL)
		reload_commit(m, 1);
	notify_update(m);
}

static void
on_kill_timeout(struct evloop *ev, void *arg)
{
	struct master	*m = arg;

	(void)ev;
	m->kill_timer = 0;
	log_warnx("shutdown: children still running after the timeout; "
	    "sending SIGKILL");
	kill_all(m);
}

static void
on_gen_kill_timeout(struct evloop *ev, void *arg)
{
	struct gen	*g = arg;

	(void)ev;
	g->kill_timer = 0;
	log_warnx("generation %u: %d child%s still running after the "
	    "timeout; sending SIGKILL", g->num, gen_running(g),
	    gen_running(g) == 1 ? "" : "ren");
	kill_gen(g);
}

/*
 * Whole: every slot of g (but one that exited EX_CONFIG, which never
 * runs again) has a live child that said READY, and none has reported
 * its Redis link down for longer than grace_ms (REDIS_IGNORED: the
 * links do not count).
 */
static int
gen_healthy(struct master *m, struct gen *g, int grace_ms)
{
	struct slot	*s;
	uint64_t	 now = util_mono_ms();
	int		 i;

	(void)m;
	if (g == NULL)
		return 0;
	for (i = 0; i < g->nslots; i++) {
		s = &g->slots[i];
		if (s->config_fail)
			continue;
		if (s->pid == 0 || !s->ready)
			return 0;
		if (grace_ms != REDIS_IGNORED && !s->redis_up &&
		    now - s->redis_down > (uint64_t)grace_ms)
			return 0;
	}
	return 1;
}

/*
 * "generation 2: 10/10 workers, listener, scheduler up; redis up; queues
 * critical,default,low", with what is under way in front and the last
 * reload's failure behind.
 */
static void
status_format(struct master *m, char *buf, size_t len)
{
	struct gen	*g = m->cur;
	struct slot	*s;
	char		 queues[512], lis[16], sch[16], roles[64];
	int		 i, nw = 0, upw = 0, live = 0, rup = 0, rdown = 0;
	size_t		 n = 0;

	queues[0] = lis[0] = sch[0] = '\0';
	for (i = 0; i < g->conf->nqueues && n < sizeof(queues); i++)
		n += (size_t)snprintf(queues + n, sizeof(queues) - n, "%s%s",
		    i > 0 ? "," : "", g->conf->queues[i].name);
	for (i = 0; i < g->nslots; i++) {
		s = &g->slots[i];
		if (s->role == ROLE_WORKER)
			nw++;
		if (s->pid > 0)
			live++;
		if (s->pid > 0 && s->ready && s->redis_up)
			rup++;
		if (s->pid > 0 && s->ready && !s->redis_up)
			rdown++;
		if (s->role == ROLE_WORKER && s->pid > 0 && s->ready)
			upw++;
		if (s->role == ROLE_LISTENER || s->role == ROLE_SCHEDULER)
			util_strlcpy(s->role == ROLE_LISTENER ? lis : sch,
			    s->pid == 0 ? "down" : s->ready ? "up" :
			    "starting", sizeof(lis));
	}
	/* "listener, scheduler up" or "listener up, scheduler starting" */
	if (strcmp(lis, sch) == 0)
		snprintf(roles, sizeof(roles), "listener, scheduler %s", sch);
	else
		snprintf(roles, sizeof(roles), "listener %s, scheduler %s",
		    lis, sch);
	snprintf(buf, len, "%s%sgeneration %u: %d/%d workers, %s; redis %s; "
	    "queues %s%s%s", m->stopping ? "stopping; " : "",
	    m->pending != NULL ? "reloading; " : "", g->num, upw, nw, roles,
	    rdown > 0 ? "down" : rup == live && live > 0 ? "up" :
	    "connecting", queues, m->note[0] != '\0' ? "; " : "", m->note);
}

/* Tell the service manager what changed; called after every event. */
static void
notify_update(struct master *m)
{
	char	status[STATUS_MAX];

	if (m->cur == NULL || m->stopping)
		return;
	/* The first READY=1 also waits for Redis: until it answers, the
	 * node only says 503. */
	if (!m->sd_ready && m->pending == NULL &&
	    gen_healthy(m, m->cur, 0)) {
		notify_ready(m);
		return;
	}
	status_format(m, status, sizeof(status));
	if (strcmp(status, m->sd_status) == 0)
		return;
	util_strlcpy(m->sd_status, status, sizeof(m->sd_status));
	(void)sdnotify_send("STATUS=%s", status);
}

/*
 * READY=1: the first generation is up, or a reload ended (switched, or
 * refused and the old generation kept: the manager waits either way).
 */
static void
notify_ready(struct master *m)
{
	status_format(m, m->sd_status, sizeof(m->sd_status));
	(void)sdnotify_send("READY=1\nSTATUS=%s", m->sd_status);
	if (!m->sd_ready)
		log_info("ready: %s", m->sd_status);
	m->sd_ready = 1;
}

/*
 * WATCHDOG=1 every WATCHDOG_USEC/2, but only while every slot of the
 * serving generation has a live, ready child: a master whose loop hangs,
 * or whose children cannot be kept running, is restarted by systemd.  A
 * Redis outage does not stop it: a restart would not bring Redis back,
 * and the node meanwhile answers 503 and reconnects by itself (STATUS
 * says "redis down").  While stopping, the loop itself is the thing to
 * vouch for.
 */
static void
on_watchdog(struct evloop *ev, void *arg)
{
	struct master	*m = arg;

	m->watchdog_timer = evloop_timer_add(ev, m->watchdog_ms, on_watchdog,
	    m);
	if (m->stopping || gen_healthy(m, m->cur, REDIS_IGNORED))
		(void)sdnotify_send("WATCHDOG=1");
}
