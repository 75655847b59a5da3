/*
 * check_tdctl.c: what tdctl(1) prints: sizes, ages, URLs without their
 * password, cells made safe for a terminal, and aligned tables, read back
 * from a memory stream.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdctl_fmt.h"

static const struct {
	const char	*label;
	uint64_t	 in;
	const char	*want;
} bytes_rows[] = {
	{ "zero", 0, "0 B" },
	{ "below a KiB", 1023, "1023 B" },
	{ "one KiB", 1024, "1.0 KiB" },
	{ "one and a half KiB", 1536, "1.5 KiB" },
	{ "MiB", 12 * 1024 * 1024, "12.0 MiB" },
	{ "GiB", 3ULL * 1024 * 1024 * 1024 + 200 * 1024 * 1024, "3.2 GiB" },
	{ "TiB stays TiB", 5000ULL * 1024 * 1024 * 1024 * 1024,
	    "5000.0 TiB" },
};

START_TEST(test_bytes)
{
	char	buf[32];

	tdctl_fmt_bytes(bytes_rows[_i].in, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, bytes_rows[_i].want) == 0,
	    "%s: got '%s', want '%s'", bytes_rows[_i].label, buf,
	    bytes_rows[_i].want);
}
END_TEST

static const struct {
	const char	*label;
	uint64_t	 ms;
	const char	*want;
} age_rows[] = {
	{ "zero", 0, "0s" },
	{ "milliseconds", 850, "850ms" },
	{ "one second", 1000, "1s" },
	{ "seconds drop ms", 42999, "42s" },
	{ "minutes", 192000, "3m12s" },
	{ "hours", 5 * 3600000ULL + 3 * 60000, "5h03m" },
	{ "days", 2 * 86400000ULL + 4 * 3600000ULL + 59000, "2d04h" },
	{ "a long time", 400 * 86400000ULL, "400d00h" },
};

START_TEST(test_age)
{
	char	buf[32];

	tdctl_fmt_age(age_rows[_i].ms, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, age_rows[_i].want) == 0,
	    "%s: got '%s', want '%s'", age_rows[_i].label, buf,
	    age_rows[_i].want);
}
END_TEST

static const struct {
	const char	*label;
	const char	*in;
	const char	*want;
} url_rows[] = {
	{ "plain", "http://h:1/p", "http://h:1/p" },
	{ "password hidden", "https://user:secret@h/p?q=1",
	    "https://user:***@h/p?q=1" },
	{ "user only kept", "http://user@h/p", "http://user@h/p" },
	{ "at-sign in the path", "http://h/p@x:y", "http://h/p@x:y" },
	{ "at-sign in the query", "http://h/?a=b:c@d", "http://h/?a=b:c@d" },
	{ "password with at-sign", "http://u:p@ss@h/", "http://u:***@h/" },
	{ "no path", "http://u:p@h", "http://u:***@h" },
	{ "not a URL", "just text", "just text" },
	{ "empty", "", "" },
};

START_TEST(test_url)
{
	char	buf[256];

	tdctl_fmt_url(url_rows[_i].in, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, url_rows[_i].want) == 0,
	    "%s: got '%s', want '%s'", url_rows[_i].label, buf,
	    url_rows[_i].want);
}
END_TEST

static const struct {
	const char	*label;
	const char	*in;
	const char	*want;
	size_t		 width;
} cell_rows[] = {
	{ "plain", "HTTP 503", "HTTP 503", 8 },
	{ "newline", "a\nb", "a?b", 3 },
	{ "escape sequence", "\033[2Jx", "?[2Jx", 5 },
	{ "tab and DEL", "a\tb\177", "a?b?", 4 },
	{ "UTF-8 counts code points", "caf\xc3\xa9", "caf\xc3\xa9", 4 },
	{ "empty", "", "", 0 },
};

START_TEST(test_cell)
{
	char	*got = tdctl_fmt_cell(cell_rows[_i].in);

	ck_assert_msg(strcmp(got, cell_rows[_i].want) == 0,
	    "%s: got '%s'", cell_rows[_i].label, got);
	ck_assert_msg(tdctl_fmt_width(got) == cell_rows[_i].width,
	    "%s: width %zu, want %zu", cell_rows[_i].label,
	    tdctl_fmt_width(got), cell_rows[_i].width);
	free(got);
}
END_TEST

/* Render into memory and compare the whole text. */
static char *
render(const struct tdctl_table *t)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fp);
	tdctl_fmt_table_print(t, fp);
	fclose(fp);
	return text;
}

START_TEST(test_table)
{
	struct tdctl_table	 t;
	char			*got;

	tdctl_fmt_table_init(&t, "lrl", "QUEUE", "N", "URL");
	tdctl_fmt_table_add(&t, "default", "12", "http://a/");
	tdctl_fmt_table_add(&t, "critical", "3", NULL);
	tdctl_fmt_table_add(&t, "caf\xc3\xa9", "", "x\ny");
	got = render(&t);
	ck_assert_str_eq(got,
	    "QUEUE      N  URL\n"
	    "default   12  http://a/\n"
	    "critical   3  -\n"
	    "caf\xc3\xa9       -  x?y\n");
	free(got);
	tdctl_fmt_table_free(&t);
}
END_TEST

START_TEST(test_table_empty)
{
	struct tdctl_table	 t;
	char			*got;

	tdctl_fmt_table_init(&t, "ll", "ID", "STATE");
	got = render(&t);
	ck_assert_str_eq(got, "ID  STATE\n");
	free(got);
	tdctl_fmt_table_free(&t);
}
END_TEST

/* More rows than the first allocation holds. */
START_TEST(test_table_grows)
{
	struct tdctl_table	 t;
	char			 n[16], *got;
	int			 i;

	tdctl_fmt_table_init(&t, "r", "N");
	for (i = 0; i < 100; i++) {
		snprintf(n, sizeof(n), "%d", i);
		tdctl_fmt_table_add(&t, n);
	}
	ck_assert_uint_eq(t.nrows, 100);
	got = render(&t);
	ck_assert_ptr_nonnull(strstr(got, "\n 0\n 1\n"));
	ck_assert_ptr_nonnull(strstr(got, "\n99\n"));
	free(got);
	tdctl_fmt_table_free(&t);
}
END_TEST

static Suite *
tdctl_suite(void)
{
	Suite	*s = suite_create("tdctl");
	TCase	*tc = tcase_create("fmt");

	tcase_add_loop_test(tc, test_bytes, 0,
	    sizeof(bytes_rows) / sizeof(bytes_rows[0]));
	tcase_add_loop_test(tc, test_age, 0,
	    sizeof(age_rows) / sizeof(age_rows[0]));
	tcase_add_loop_test(tc, test_url, 0,
	    sizeof(url_rows) / sizeof(url_rows[0]));
	tcase_add_loop_test(tc, test_cell, 0,
	    sizeof(cell_rows) / sizeof(cell_rows[0]));
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_table_empty);
	tcase_add_test(tc, test_table_grows);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(tdctl_suite());
	int	 nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
