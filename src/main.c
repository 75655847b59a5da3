/*
 * main.c: flags, configuration, then the master.  taskdispatcher runs in
 * the foreground and logs to stderr: a service manager (systemd) or a
 * terminal supervises it, so there is no daemonizing and no pid file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "proc.h"
#include "util.h"

#ifndef VERSION
#define VERSION		"unknown"
#endif

static void		 usage(FILE *);
static int		 test_config(const char *, int);
static const char	*env_get(const char *);

static const struct option	longopts[] = {
	{ "config",		required_argument,	NULL,	'c' },
	{ "help",		no_argument,		NULL,	'h' },
	{ "test-config",	no_argument,		NULL,	't' },
	{ "verbose",		no_argument,		NULL,	'v' },
	{ "version",		no_argument,		NULL,	'V' },
	{ NULL,			0,			NULL,	0 }
};

int
main(int argc, char *argv[])
{
	static struct conf	 conf;	/* lives as long as the process */
	const char		*path = TD_CONF_DEFAULT;
	char			 err[1024];
	int			 ch, test = 0, verbose = 0;

	while ((ch = getopt_long(argc, argv, "c:htvV", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return TD_EXIT_OK;
		case 't':
			test = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("taskdispatcher %s\n", VERSION);
			return TD_EXIT_OK;
		default:
			usage(stderr);
			return TD_EXIT_USAGE;
		}
	if (optind != argc) {
		usage(stderr);
		return TD_EXIT_USAGE;
	}
	if (test)
		return test_config(path, verbose);

	util_title_init(argc, argv);
	log_init(verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	conf_defaults(&conf);
	if (conf_load(&conf, path, err, sizeof(err)) == -1 ||
	    conf_apply_env(&conf, env_get, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return TD_EXIT_CONFIG;
	}
	if (conf.path[0] == '\0')
		util_strlcpy(conf.path, path, sizeof(conf.path));
	/* -v wins over log_level; master_run keeps it across reloads. */
	log_setlevel(verbose ? LOG_LEVEL_DEBUG : conf.log_level);
	log_info("taskdispatcher %s starting with %s", VERSION, conf.path);
	return master_run(&conf);
}

/* -t, as nginx -t words it; with -v, also the effective configuration. */
static int
test_config(const char *path, int verbose)
{
	static struct conf	conf;
	char			err[1024];

	conf_defaults(&conf);
	if (conf_load(&conf, path, err, sizeof(err)) == -1 ||
	    conf_apply_env(&conf, env_get, err, sizeof(err)) == -1) {
		fprintf(stderr, "taskdispatcher: %s\n", err);
		fprintf(stderr, "taskdispatcher: configuration file %s test "
		    "failed\n", path);
		return 1;
	}
	if (verbose)
		conf_dump(&conf, stdout);
	fprintf(stderr, "taskdispatcher: the configuration file %s syntax "
	    "is ok\n", path);
	fprintf(stderr, "taskdispatcher: configuration file %s test is "
	    "successful\n", path);
	return TD_EXIT_OK;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: taskdispatcher [-htVv] [-c file]\n"
	    "  -c, --config FILE   configuration file (default: %s)\n"
	    "  -h, --help          print this help and exit\n"
	    "  -t, --test-config   check the configuration file and exit\n"
	    "  -v, --verbose       log debug messages (with -t: print the "
	    "configuration)\n"
	    "  -V, --version       print the version and exit\n",
	    TD_CONF_DEFAULT);
}

/* conf_apply_env wants a const-returning getenv. */
static const char *
env_get(const char *name)
{
	return getenv(name);
}
