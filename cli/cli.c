#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cli_parse_host_port(const char *text, uint16_t default_port, char *host_buf, size_t host_cap,
                         uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    size_t host_len = colon ? (size_t)(colon - text) : strlen(text);
    if (host_len == 0 || host_len >= host_cap)
        return false;
    memcpy(host_buf, text, host_len);
    host_buf[host_len] = '\0';
    *port = default_port;
    if (colon == NULL)
        return true;
    char *end;
    errno = 0;
    unsigned long v = strtoul(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || *end != '\0' || colon[1] == '-' || v == 0 || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

int cli_usage_error(const char *prog, const char *what, const char *arg)
{
    if (arg != NULL)
        fprintf(stderr, "%s: %s '%s' (try --help)\n", prog, what, arg);
    else
        fprintf(stderr, "%s: %s (try --help)\n", prog, what);
    return CLI_EXIT_USAGE;
}

/* How many long options start with the len bytes of name. */
static int prefix_matches(const struct option *longopts, const char *name, size_t len)
{
    int n = 0;
    for (const struct option *o = longopts; o->name != NULL; o++)
        n += strncmp(o->name, name, len) == 0;
    return n;
}

int cli_option_error(const char *prog, const struct option *longopts, int opt, char *const argv[])
{
    /* getopt_long leaves optopt at the short option character for an
     * unknown "-c"; for a long option it holds the option's value, or 0
     * when no option matched. The long option itself is the word just
     * consumed, "--name" or "--name=value". */
    if (opt == '?' && optopt > ' ' && optopt < 127) {
        char dash[3] = {'-', (char)optopt, '\0'};
        return cli_usage_error(prog, "unknown option", dash);
    }
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    int len = (int)strcspn(word, "=");
    bool is_long = len > 2 && word[0] == '-' && word[1] == '-';
    const char *why = NULL;
    if (opt == ':')
        why = "needs a value";
    else if (optopt != 0)
        why = "takes no value";
    else if (is_long && prefix_matches(longopts, word + 2, (size_t)len - 2) > 1)
        why = "is ambiguous";
    if (why != NULL)
        fprintf(stderr, "%s: option '%.*s' %s (try --help)\n", prog, len, word, why);
    else
        fprintf(stderr, "%s: unknown option '%.*s' (try --help)\n", prog, len, word);
    return CLI_EXIT_USAGE;
}

bool cli_require_value(const char *prog, const char *name, const char *text)
{
    if (text[0] != '\0')
        return true;
    fprintf(stderr, "%s: --%s needs a value, got an empty one (try --help)\n", prog, name);
    return false;
}

int cli_next_option(const char *prog, int argc, char **argv, const struct option *longopts,
                    int *index)
{
    int place = 0;
    opterr = 0; /* one line of our own instead of getopt's */
    int opt = getopt_long(argc, argv, ":", longopts, &place);
    if (opt == -1)
        return CLI_OPT_END;
    if (opt == '?' || opt == ':') {
        cli_option_error(prog, longopts, opt, argv);
        return CLI_OPT_BAD;
    }
    if (optarg != NULL && !cli_require_value(prog, longopts[place].name, optarg))
        return CLI_OPT_BAD;
    if (index != NULL)
        *index = place;
    return opt;
}

int cli_read_small_file(const char *prog, const char *flag, const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "%s: %s %s: cannot read it: %s\n", prog, flag, path, strerror(errno));
        return -1;
    }
    size_t n = fread(buf, 1, cap, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed) {
        fprintf(stderr, "%s: %s %s: cannot read it\n", prog, flag, path);
        return -1;
    }
    if (n >= cap) {
        fprintf(stderr, "%s: %s %s: larger than %zu bytes\n", prog, flag, path, cap - 1);
        return -1;
    }
    buf[n] = '\0';
    return (int)n;
}

bool cli_uint_in_range(const char *text, unsigned long long min, unsigned long long max,
                       unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_uint(const char *prog, const char *flag, const char *text, unsigned long long min,
                    unsigned long long max, unsigned long long *out)
{
    if (cli_uint_in_range(text, min, max, out))
        return true;
    fprintf(stderr, "%s: %s must be a whole number from %llu to %llu, got '%s' (try --help)\n",
            prog, flag, min, max, text);
    return false;
}
