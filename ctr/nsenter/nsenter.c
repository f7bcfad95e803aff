// The part of strata's container runtime that must run before the Go
// runtime starts threads: joining namespaces with setns(2), creating new
// ones with unshare(2) after the joins, and forking so the child lands in
// the joined (or new) pid namespace. See nsenter.go and
// docs/containers.md ("Joining namespaces: exec and paths").

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define STRATA_MAX_NS 16

static int strata_sync_fd = -1;
static pid_t strata_child = -1;

// strata_fail reports an error on the sync descriptor as one JSON line,
// the format the Go side reads, and exits.
static void strata_fail(const char *what, const char *arg, int err) {
	char safe[512];
	size_t j = 0;
	for (const char *p = arg ? arg : ""; *p != '\0' && j < sizeof safe - 1; p++) {
		// Keep the line valid JSON whatever the path holds.
		safe[j++] = (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '?' : *p;
	}
	safe[j] = '\0';
	char buf[1024];
	int n = snprintf(buf, sizeof buf, "{\"error\":\"nsenter: %s %s: %s\"}\n", what, safe, strerror(err));
	if (n > 0 && strata_sync_fd >= 0 && write(strata_sync_fd, buf, (size_t)n) < 0) {
		// Nothing else to report to.
	}
	_exit(127);
}

static void strata_forward(int sig) {
	if (strata_child > 0) {
		kill(strata_child, sig);
	}
}

// strata_wait relays signals to the child and exits with its status.
static void strata_wait(void) {
	int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = strata_forward;
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		sigaction(sigs[i], &sa, NULL);
	}
	int status;
	for (;;) {
		pid_t r = waitpid(strata_child, &status, 0);
		if (r == strata_child) {
			break;
		}
		if (r < 0 && errno != EINTR) {
			_exit(127);
		}
	}
	if (WIFEXITED(status)) {
		_exit(WEXITSTATUS(status));
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		kill(getpid(), sig);
		_exit(128 + sig);
	}
	_exit(127);
}

// The environment variable _STRATA_NSENTER holds
//
//	MODE;UNSHARE;SYNCFD[;TYPE=PATH]...
//
// MODE is "nofork", "wait" (fork; the parent relays signals and exits
// with the child's status) or "detach" (fork; the parent exits at once so
// the child is reparented). UNSHARE is a decimal CLONE_NEW* mask created
// after the joins. SYNCFD is the descriptor the child's pid ({"pid":N})
// and errors are written to. Each TYPE=PATH is a namespace to join
// (TYPE as in /proc/PID/ns: user, mnt, pid, net, ipc, uts, cgroup, time);
// the user namespace is joined first, the mount namespace last.
__attribute__((constructor)) static void strata_nsenter(void) {
	const char *env = getenv("_STRATA_NSENTER");
	if (env == NULL) {
		return;
	}
	// Not dumpable before anything of the container can see this
	// process: a process in a joined pid namespace could otherwise open
	// /proc/PID/exe — the runtime's binary on the host — and, once this
	// process has exec'd the user's program, reopen it for writing
	// (CVE-2019-5736 against runc). Non-dumpable, /proc/PID/exe and
	// ptrace need CAP_SYS_PTRACE over this process. execve of the user's
	// program makes it dumpable again.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		_exit(127);
	}
	char *spec = strdup(env);
	if (spec == NULL) {
		_exit(127);
	}
	unsetenv("_STRATA_NSENTER");
	char *save = NULL;
	char *mode = strtok_r(spec, ";", &save);
	char *unshare_s = strtok_r(NULL, ";", &save);
	char *sync_s = strtok_r(NULL, ";", &save);
	if (mode == NULL || unshare_s == NULL || sync_s == NULL) {
		fprintf(stderr, "strata nsenter: malformed _STRATA_NSENTER\n");
		_exit(127);
	}
	strata_sync_fd = atoi(sync_s);
	long unshare_flags = strtol(unshare_s, NULL, 10);

	struct {
		char *type;
		char *path;
		int fd;
	} ns[STRATA_MAX_NS];
	int n = 0;
	for (char *item; (item = strtok_r(NULL, ";", &save)) != NULL;) {
		char *eq = strchr(item, '=');
		if (eq == NULL || n == STRATA_MAX_NS) {
			strata_fail("bad namespace entry", item, EINVAL);
		}
		*eq = '\0';
		ns[n].type = item;
		ns[n].path = eq + 1;
		// Open every path first: after joining the mount namespace,
		// paths would resolve in the container's filesystem.
		ns[n].fd = open(ns[n].path, O_RDONLY | O_CLOEXEC);
		if (ns[n].fd < 0) {
			strata_fail("open", ns[n].path, errno);
		}
		n++;
	}
	// user first (the rest are owned by it), mnt last, the others in
	// the order given.
	for (int pass = 0; pass < 3; pass++) {
		for (int i = 0; i < n; i++) {
			int is_user = strcmp(ns[i].type, "user") == 0;
			int is_mnt = strcmp(ns[i].type, "mnt") == 0;
			if ((pass == 0) != is_user || (pass == 2) != is_mnt) {
				continue;
			}
			if (setns(ns[i].fd, 0) < 0) {
				strata_fail("setns", ns[i].path, errno);
			}
			close(ns[i].fd);
		}
	}
	if (unshare_flags != 0 && unshare((int)unshare_flags) < 0) {
		strata_fail("unshare", "", errno);
	}
	if (strcmp(mode, "nofork") == 0) {
		free(spec);
		return;
	}
	pid_t child = fork();
	if (child < 0) {
		strata_fail("fork", "", errno);
	}
	if (child == 0) {
		// The Go runtime starts here, inside every namespace.
		free(spec);
		return;
	}
	char buf[64];
	int len = snprintf(buf, sizeof buf, "{\"pid\":%d}\n", (int)child);
	if (write(strata_sync_fd, buf, (size_t)len) != len) {
		kill(child, SIGKILL);
		_exit(127);
	}
	if (strcmp(mode, "detach") == 0) {
		_exit(0);
	}
	// Hold nothing the caller may wait on (pipes read to EOF).
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++) {
		if (null >= 0) {
			dup2(null, fd);
		}
	}
	for (int fd = 3; fd < 1024; fd++) {
		if (fd != null) {
			close(fd);
		}
	}
	strata_child = child;
	strata_wait();
}
