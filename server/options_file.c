/* lobby-server --config FILE and --print-config. The file is INI, read by
 * inih: one "key = value" a line, the keys the long flags' names; every
 * value goes through options_apply, the code the flags go through, so the
 * same values are refused. Sections are refused: the file belongs to one
 * program and its keys are flat, so a [section] line can only be a mistake
 * (or a file meant for something else), better said at once than ignored.
 * The first error ends the load with one line "FILE:LINE: reason". */
#include "options_internal.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct options_string {
    struct options_string *next;
    char text[];
};

const char *options_keep_string(options *o, const char *text)
{
    size_t len = strlen(text);
    struct options_string *s = malloc(sizeof *s + len + 1);
    if (s == NULL)
        return NULL;
    memcpy(s->text, text, len + 1);
    s->next = o->kept;
    o->kept = s;
    return s->text;
}

void options_deinit(options *o)
{
    while (o->kept != NULL) {
        struct options_string *next = o->kept->next;
        free(o->kept);
        o->kept = next;
    }
}

/* What the load carries through inih's reader and handler. */
typedef struct file_load {
    options *o;
    FILE *f;
    const struct option *all;
    int line;       /* lines handed to inih so far: the one it is on */
    int read_errno; /* a read error (a directory, EIO): the file is unreadable */
    int error_line; /* the first error's line; 0: none */
    char why[OPTIONS_WHY_BYTES + 128];
    int set_on[OPTIONS_MAX_LONGOPTS]; /* the line each key was set on; 0: not */
} file_load;

/* Records the first error; returns 0, which tells inih the line failed. */
__attribute__((format(printf, 2, 3))) static int fail(file_load *ld, const char *fmt, ...)
{
    if (ld->error_line != 0)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->why, sizeof ld->why, fmt, ap);
    va_end(ap);
    ld->error_line = ld->line;
    return 0;
}

/* What inih cannot be told to refuse, seen on the raw line: a section, an
 * indented key (inih would glue it to the value above as a continuation
 * line), a NUL byte. Returns false after fail(). */
static bool check_raw_line(file_load *ld, const char *line, bool had_nul)
{
    size_t lead = strspn(line, " \t");
    char first = line[lead];
    bool blank_or_comment =
        first == '\0' || first == '\n' || first == '\r' || first == ';' || first == '#';
    if (had_nul)
        return fail(ld, "a NUL byte in the line");
    if (first == '[')
        return fail(ld, "sections are not used: write every key at the top level, without "
                        "[section] lines");
    if (lead > 0 && !blank_or_comment)
        return fail(ld, "a key must start at the beginning of its line (an indented line "
                        "would continue the value above)");
    return true;
}

/* inih's reader (fgets-like): one whole line per call, counted, checked;
 * NULL at the end of the file or after the first error, which ends the
 * parse. A line longer than inih's buffer is an error, not two lines. */
static char *read_line(char *str, int num, void *stream)
{
    file_load *ld = stream;
    if (ld->error_line != 0)
        return NULL;
    size_t n = 0;
    bool had_nul = false;
    int c = 0;
    while (n + 1 < (size_t)num && (c = getc(ld->f)) != EOF) {
        had_nul = had_nul || c == '\0';
        str[n++] = (char)c;
        if (c == '\n')
            break;
    }
    if (c == EOF && ferror(ld->f)) {
        ld->read_errno = errno != 0 ? errno : EIO;
        return NULL;
    }
    if (n == 0)
        return NULL;
    str[n] = '\0';
    ld->line++;
    if (str[n - 1] != '\n' && n + 1 >= (size_t)num && (c = getc(ld->f)) != EOF) {
        fail(ld, "line longer than %d bytes", num - 2);
        return NULL;
    }
    return check_raw_line(ld, str, had_nul) ? str : NULL;
}

static int find_key(const struct option *all, const char *name)
{
    for (int i = 0; all[i].name != NULL; i++)
        if (strcmp(all[i].name, name) == 0)
            return i;
    return -1;
}

/* inih's handler: one "key = value"; 1 when applied, else 0 after fail(). */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
    file_load *ld = user;
    (void)section; /* always "": check_raw_line refuses sections */
    int i = find_key(ld->all, name);
    if (i < 0)
        return fail(ld, "unknown key '%s'", name);
    if (!options_is_key(ld->all[i].val))
        return fail(ld,
                    "'%s' is not a key: --config, --print-config, --help and --version are "
                    "for the command line only",
                    name);
    if (ld->set_on[i] != 0)
        return fail(ld, "duplicate key '%s' (first set on line %d)", name, ld->set_on[i]);
    ld->set_on[i] = ld->line;
    if (value[0] == '\0')
        return fail(ld, "%s needs a value, got an empty one", name);
    const char *kept = options_keep_string(ld->o, value);
    if (kept == NULL)
        return fail(ld, "out of memory");
    char why[OPTIONS_WHY_BYTES];
    if (!options_apply(ld->o, ld->all[i].val, kept, why))
        return fail(ld, "%s %s", name, why);
    return 1;
}

int options_file_load(options *o, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "lobby-server: --config %s: cannot read it: %s\n", path, strerror(errno));
        return 1;
    }
    struct option all[OPTIONS_MAX_LONGOPTS];
    options_longopts(all);
    file_load ld = {.o = o, .f = f, .all = all};
    errno = 0;
    int first_error = ini_parse_stream(read_line, &ld, on_key, &ld);
    fclose(f);
    if (ld.read_errno != 0) {
        fprintf(stderr, "lobby-server: --config %s: cannot read it: %s\n", path,
                strerror(ld.read_errno));
        return 1;
    }
    if (first_error > 0 && (ld.error_line == 0 || first_error < ld.error_line)) {
        ld.error_line = first_error; /* a line inih could not parse */
        snprintf(ld.why, sizeof ld.why, "expected 'key = value' (or a ';' or '#' comment)");
    } else if (first_error < 0 && ld.error_line == 0) {
        ld.error_line = ld.line;
        snprintf(ld.why, sizeof ld.why, "out of memory");
    }
    if (ld.error_line == 0)
        return -1;
    fprintf(stderr, "lobby-server: %s:%d: %s\n", path, ld.error_line, ld.why);
    return 2;
}

void options_print_config(const options *o, FILE *to)
{
    struct option all[OPTIONS_MAX_LONGOPTS];
    options_longopts(all);
    fputs("# lobby-server's effective configuration (lobby-server --print-config): the\n"
          "# defaults, then the config file, then the flags. lobby-server --config reads\n"
          "# it back. A key commented out is not set; the comment says what that means.\n",
          to);
    for (int i = 0; all[i].name != NULL; i++) {
        char value[OPTIONS_WHY_BYTES];
        if (!options_is_key(all[i].val))
            continue;
        bool set = options_format_value(o, all[i].val, value, sizeof value);
        fprintf(to, "%s%s = %s\n", set ? "" : "# ", all[i].name, value);
    }
}
