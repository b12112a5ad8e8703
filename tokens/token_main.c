/* tokens/: lobby-token, the game backend's side of optional identity: it
 * makes an Ed25519 key pair (libsodium's crypto_sign) and mints identity
 * tokens signed with the secret key, in the layout of shared/identity.h
 * (docs/PROTOCOL.md, "Identity tokens"). lobby-server holds only the
 * public key, so it can verify tokens but never mint one.
 * May include: shared/, cli/, libsodium. Must never include: any other
 * folder, ENet or SDL (tests/check_includes.py enforces it). */
#include "cli.h"
#include "clock.h"
#include "identity.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char PROG[] = "lobby-token";

/* Largest player id: the server keys quotas by (1 << 63) | id. */
static const unsigned long long MAX_PLAYER_ID = 0x7FFFFFFFFFFFFFFFull;
enum { DEFAULT_TTL_S = 3600, MAX_TTL_S = 31 * 24 * 3600 };

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: lobby-token keygen --secret-key FILE --public-key FILE\n"
            "       lobby-token mint --secret-key FILE --player-id N --name NAME\n"
            "                        [--lobby LOBBY] [--ttl SECONDS | --expires-at UNIX]\n"
            "Makes the game backend's signing keys and mints identity tokens for\n"
            "lobby-server --auth-key-file (see README, 'Identity (optional)').\n"
            "\n"
            "keygen   writes a new Ed25519 key pair: the secret key (128 hex digits, file\n"
            "         mode 0600; keep it on the backend) and the public key (64 hex\n"
            "         digits; give it to every lobby-server). Never overwrites a file.\n"
            "mint     prints one token as one line of lowercase hex on stdout:\n"
            "  --player-id N     the backend's player id, 0..%llu\n"
            "  --name NAME       the player's name, 1..24 bytes (the HELLO name rules)\n"
            "  --lobby LOBBY     the only lobby the token admits to (default: any)\n"
            "  --ttl SECONDS     valid for this long from now (default %d, at most %d)\n"
            "  --expires-at UNIX valid until this UTC second instead (may be past: tests)\n"
            "\n"
            "  --help            show this help and exit\n"
            "  --version         show the version and exit\n"
            "\n"
            "Exit status: 0 done; 1 a key file cannot be read, written or parsed;\n"
            "2 bad usage.\n",
            MAX_PLAYER_ID, DEFAULT_TTL_S, MAX_TTL_S);
}

/* Writes text to a new file (never an existing one) with the given mode;
 * false after a line on stderr. */
static bool write_new_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot create %s: %s%s\n", PROG, path, strerror(errno),
                errno == EEXIST ? " (lobby-token never overwrites a key)" : "");
        return false;
    }
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len;
    if (close(fd) != 0 || !ok) {
        fprintf(stderr, "%s: cannot write %s: %s\n", PROG, path, strerror(errno));
        return false;
    }
    return true;
}

static int keygen(const char *secret_path, const char *public_path)
{
    uint8_t pk[IDENTITY_PUBLIC_KEY_BYTES], sk[IDENTITY_SECRET_KEY_BYTES];
    char sk_hex[2 * IDENTITY_SECRET_KEY_BYTES + 2], pk_hex[2 * IDENTITY_PUBLIC_KEY_BYTES + 2];
    crypto_sign_keypair(pk, sk);
    identity_hex_encode(sk, sizeof sk, sk_hex);
    identity_hex_encode(pk, sizeof pk, pk_hex);
    sodium_memzero(sk, sizeof sk);
    strcat(sk_hex, "\n");
    strcat(pk_hex, "\n");
    bool ok = write_new_file(secret_path, sk_hex, 0600);
    sodium_memzero(sk_hex, sizeof sk_hex);
    if (!ok)
        return 1;
    if (!write_new_file(public_path, pk_hex, 0644)) {
        unlink(secret_path); /* half a pair is of no use */
        return 1;
    }
    return 0;
}

/* Reads a secret key file (128 hex digits); false after a line on stderr. */
static bool read_secret_key(const char *path, uint8_t sk[IDENTITY_SECRET_KEY_BYTES])
{
    char text[512];
    int n = cli_read_small_file(PROG, "--secret-key", path, text, sizeof text);
    int got = n < 0 ? -2 : identity_hex_decode(text, (size_t)n, sk, IDENTITY_SECRET_KEY_BYTES);
    sodium_memzero(text, sizeof text);
    if (got == -2)
        return false;
    if (got != IDENTITY_SECRET_KEY_BYTES) {
        fprintf(stderr,
                "%s: --secret-key %s: not a secret key: it must hold %d hex digits (lobby-token "
                "keygen writes it)\n",
                PROG, path, 2 * IDENTITY_SECRET_KEY_BYTES);
        return false;
    }
    return true;
}

typedef struct mint_args {
    const char *secret_path;
    identity_token t;
    bool have_uid, have_expiry;
    unsigned long long ttl_s;
} mint_args;

static int mint(const mint_args *a)
{
    if (a->secret_path == NULL || !a->have_uid || a->t.name.bytes == NULL)
        return cli_usage_error(PROG, "mint needs --secret-key, --player-id and --name", NULL);
    identity_token t = a->t;
    if (!a->have_expiry)
        t.expires_unix_s = clock_unix_s() + a->ttl_s;
    uint8_t token[IDENTITY_MAX_TOKEN_BYTES];
    int body_len = identity_encode_body(&t, token, sizeof token - IDENTITY_SIGNATURE_BYTES);
    if (body_len == IDENTITY_ERR_BAD_NAME)
        return cli_usage_error(PROG, "--name must be 1..24 bytes of UTF-8 by the name rules, got",
                               t.name.bytes);
    if (body_len < 0)
        return cli_usage_error(PROG, "--lobby must be 1..24 bytes of UTF-8 by the name rules, got",
                               t.lobby.bytes);
    uint8_t sk[IDENTITY_SECRET_KEY_BYTES];
    if (!read_secret_key(a->secret_path, sk))
        return 1;
    crypto_sign_detached(token + body_len, NULL, token, (unsigned long long)body_len, sk);
    sodium_memzero(sk, sizeof sk);
    char hex[2 * IDENTITY_MAX_TOKEN_BYTES + 1];
    identity_hex_encode(token, (size_t)body_len + IDENTITY_SIGNATURE_BYTES, hex);
    printf("%s\n", hex);
    return fflush(stdout) == 0 ? 0 : 1;
}

enum {
    OPT_SECRET = 1000,
    OPT_PUBLIC,
    OPT_PLAYER_ID,
    OPT_NAME,
    OPT_LOBBY,
    OPT_TTL,
    OPT_EXPIRES_AT,
    OPT_HELP,
    OPT_VERSION,
};

/* Applies one mint flag; false after a usage line. */
static bool apply_mint_option(mint_args *a, int opt, const char *arg)
{
    unsigned long long v;
    switch (opt) {
    case OPT_PLAYER_ID:
        a->have_uid = cli_parse_uint(PROG, "--player-id", arg, 0, MAX_PLAYER_ID, &v);
        a->t.player_uid = v;
        return a->have_uid;
    case OPT_NAME:
        a->t.name = (proto_str){arg, strlen(arg)};
        return true;
    case OPT_LOBBY:
        a->t.lobby = (proto_str){arg, strlen(arg)};
        return true;
    case OPT_TTL:
        return cli_parse_uint(PROG, "--ttl", arg, 1, MAX_TTL_S, &a->ttl_s);
    case OPT_EXPIRES_AT:
        a->have_expiry = cli_parse_uint(PROG, "--expires-at", arg, 0, UINT64_MAX, &v);
        a->t.expires_unix_s = v;
        return a->have_expiry;
    }
    return false;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"secret-key", required_argument, NULL, OPT_SECRET},
        {"public-key", required_argument, NULL, OPT_PUBLIC},
        {"player-id", required_argument, NULL, OPT_PLAYER_ID},
        {"name", required_argument, NULL, OPT_NAME},
        {"lobby", required_argument, NULL, OPT_LOBBY},
        {"ttl", required_argument, NULL, OPT_TTL},
        {"expires-at", required_argument, NULL, OPT_EXPIRES_AT},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    const char *command = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
    if (command != NULL && strcmp(command, "keygen") != 0 && strcmp(command, "mint") != 0)
        return cli_usage_error(PROG, "unknown command (keygen or mint)", command);
    mint_args a = {.t.lobby = {"", 0}, .ttl_s = DEFAULT_TTL_S};
    const char *public_path = NULL;
    int opt;
    optind = command != NULL ? 2 : 1;
    while ((opt = cli_next_option(PROG, argc, argv, longopts, NULL)) != CLI_OPT_END) {
        if (opt == CLI_OPT_BAD)
            return CLI_EXIT_USAGE;
        if (opt == OPT_HELP) {
            usage(stdout);
            return 0;
        }
        if (opt == OPT_VERSION) {
            printf("%s %s (identity token format %d)\n", PROG, LOBBY_VERSION,
                   IDENTITY_FORMAT_VERSION);
            return 0;
        }
        if (opt == OPT_SECRET)
            a.secret_path = optarg;
        else if (opt == OPT_PUBLIC)
            public_path = optarg;
        else if (!apply_mint_option(&a, opt, optarg))
            return CLI_EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage_error(PROG, "unexpected argument", argv[optind]);
    if (command == NULL)
        return cli_usage_error(PROG, "name a command: keygen or mint", NULL);
    if (sodium_init() < 0) {
        fprintf(stderr, "%s: libsodium cannot start\n", PROG);
        return 1;
    }
    if (strcmp(command, "mint") == 0)
        return mint(&a);
    if (a.secret_path == NULL || public_path == NULL)
        return cli_usage_error(PROG, "keygen needs --secret-key and --public-key", NULL);
    return keygen(a.secret_path, public_path);
}
