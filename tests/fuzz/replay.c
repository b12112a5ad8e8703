/* Replays fuzz inputs without libFuzzer, so that any compiler's build runs the
 * checked-in corpus as an ordinary test: every regular file in the directories
 * named on the command line (a file may be named directly too, e.g. a crash
 * file) is passed to LLVMFuzzerTestOneInput once, in sorted order.
 *
 * Exits non-zero when an argument cannot be read or a directory holds no
 * inputs, so a moved or emptied corpus fails the test instead of passing it. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Reads a whole file; returns 0, or -1 after printing why. The buffer is never
 * NULL, even for an empty file, so the target always gets a valid pointer. */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *bigger = realloc(buf, cap * 2);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int failed = buf == NULL || ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "replay: %s: read failed\n", path);
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static int replay_file(const char *path)
{
    uint8_t *data;
    size_t len;
    if (read_file(path, &data, &len) != 0)
        return -1;
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int is_visible(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Replays every visible regular file in dir; returns how many, or -1. */
static long replay_dir(const char *dir)
{
    struct dirent **entries;
    int count = scandir(dir, &entries, is_visible, alphasort);
    if (count < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    long replayed = 0;
    int failed = 0;
    for (int i = 0; i < count; i++) {
        char path[4096];
        struct stat st;
        int n = snprintf(path, sizeof path, "%s/%s", dir, entries[i]->d_name);
        if (n < 0 || (size_t)n >= sizeof path) {
            fprintf(stderr, "replay: %s/%s: path too long\n", dir, entries[i]->d_name);
            failed = 1;
        } else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(path) != 0)
                failed = 1;
            else
                replayed++;
        }
        free(entries[i]);
    }
    free(entries);
    return failed ? -1 : replayed;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        } else if (S_ISDIR(st.st_mode)) {
            long n = replay_dir(argv[i]);
            if (n == 0)
                fprintf(stderr, "replay: %s: no inputs\n", argv[i]);
            if (n <= 0)
                status = 1;
            else
                printf("replay: %s: %ld inputs\n", argv[i], n);
        } else if (replay_file(argv[i]) != 0) {
            status = 1;
        } else {
            printf("replay: %s: 1 input\n", argv[i]);
        }
    }
    return status;
}
