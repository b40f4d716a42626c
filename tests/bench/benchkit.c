// SPDX-License-Identifier: MIT
// benchkit: the launcher, the timing loops and the workload programs of the cginit benchmark.
//
// Driver side (run by tests/bench/bench.py):
//   benchkit launch MODE CGROUP PIDFILE -- INIT [ARG]...  start INIT in MODE inside CGROUP, write its
//       pid to PIDFILE, reap it and every orphan that reaches benchkit (it is a subreaper); exits with
//       INIT's status (128+N for signal N)
//   benchkit startup ROUNDS BATCH SPECFILE [GAP_MS]   time the variants of SPECFILE (lines NAME\tMODE\t
//       CGROUP\tARGV0\tARGV1...), interleaved: each round runs every variant BATCH times, rotating the
//       order, idle for GAP_MS before each run; prints "NAME\tROUND\tWALL_NS\tCPU_NS" per run (CPU
//       from wait4's rusage: the init and everything it reaped)
//   benchkit rtt PID FIFO TRIPS              SIGUSR1 to PID, then wait for one byte on FIFO; prints the
//       nanoseconds of each trip, one per line (after 5 unrecorded warm-up trips)
//   benchkit term-to-empty PID CGROUP TIMEOUT_MS   SIGTERM to PID, prints the microseconds until
//       CGROUP/cgroup.events says "populated 0" (exit 1 on timeout)
//   benchkit drain MODE CGROUP CTL TIMEOUT_MS -- INIT [ARG]...   start INIT like launch, with a
//       workload that talks over the FIFOs CTL/out and CTL/in (escapees, listeners); when it says "R",
//       one byte on CTL/in makes the program exit; prints "WALL_NS CPU_NS STATUS": from that byte
//       until INIT has exited, and INIT's own on-CPU time in that span (schedstat, read again from
//       its zombie); the rest of the init's processes are reaped before benchkit returns. Exit 1
//       when INIT is not gone within TIMEOUT_MS (then it is SIGKILLed; the caller kills the cgroup)
//   benchkit fanout TARGET CGROUP FIFO COUNT TRIPS   per trip: SIGUSR1 to TARGET (a pid: the init
//       forwards it), or TARGET "list": read CGROUP/cgroup.procs once and kill(SIGUSR1) each pid (the
//       floor); then wait for COUNT bytes on FIFO (one per process that got it); prints the
//       nanoseconds of each trip, one per line (after 1 unrecorded warm-up trip)
//   benchkit frozen PID CGROUP FIFO COUNT TRIPS   per trip: SIGUSR1 to PID (cginit --forward cgroup),
//       then a busy loop that reads CGROUP/cgroup.freeze and FIFO (non-blocking) until COUNT bytes
//       came and the freeze is over; prints "FROZEN_NS TRIP_NS" per trip: how long cgroup.freeze read
//       1, and the whole trip. It spins on a CPU: a separate measurement, not the timed trips
// Workloads (the program an init runs):
//   benchkit sleep SECONDS
//   benchkit echo FIFO            writes "R" to FIFO, then one byte per SIGUSR1 received
//   benchkit orphans N CTL        "R" to CTL/out; on a byte from CTL/in, a middle process forks N children
//                                 that exit at once and exits itself, so the N become orphans of the
//                                 init (above 8,000 in batches of 1,000, each from a process of its own
//                                 that exits, never more than 8,000 waiting for the init: the machine's
//                                 pid_max bounds all of its processes); when the init has reaped all of them, "D" (or "T" after 120 s);
//                                 exits on the next byte from CTL/in
//   benchkit escapees N CTL [exit]   N daemons (own session, SIGTERM ignored, comm "bench-escapee"); when
//                                 all are set up, "R" to CTL/out; exits 0 on a byte from CTL/in;
//                                 "exit": the daemons keep SIGTERM's default action (they die of it)
//   benchkit listeners N CTL      N children that write one byte to CTL/out per SIGUSR1 (blocked,
//                                 sigwaitinfo); "R" when all are set up; exits 0 on a byte from CTL/in
// MODE: plain   a child of benchkit (for the inits' subreaper mode)
//       pidns   PID 1 of new PID and mount namespaces with its own /proc (unshare -pf --mount-proc)
//       ctr     pidns plus a cgroup namespace rooted at CGROUP and cgroup2 mounted at /sys/fs/cgroup,
//               which is how a container runtime starts its init (tools/demo.sh, tests/vm/guest/ctr.sh)
// The init is put into CGROUP by clone3(CLONE_INTO_CGROUP); benchkit itself stays outside.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sched.h>

enum mode { MODE_PLAIN, MODE_PIDNS, MODE_CTR };

__attribute__((noreturn)) static void die(const char* what) {
  fprintf(stderr, "benchkit: %s: %s\n", what, strerror(errno));
  exit(125);
}

__attribute__((noreturn)) static void usage(void) {
  fputs("usage: benchkit launch|startup|rtt|term-to-empty|drain|fanout|frozen|sleep|echo|orphans|escapees|listeners "
        "ARGS "
        "(see benchkit.c)\n",
        stderr);
  exit(2);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static enum mode parse_mode(const char* s) {
  if (strcmp(s, "plain") == 0) return MODE_PLAIN;
  if (strcmp(s, "pidns") == 0) return MODE_PIDNS;
  if (strcmp(s, "ctr") == 0) return MODE_CTR;
  fprintf(stderr, "benchkit: unknown mode %s\n", s);
  exit(2);
}

static int open_cgroup(const char* path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die(path);
  return fd;
}

// The child's side of spawn_init: namespaces' mounts, then exec. Never returns.
static void become_init(enum mode mode, char** argv, int quiet) {
  if (quiet) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  if (mode != MODE_PLAIN) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("mount --make-rprivate /");
    if (mode == MODE_CTR) {
      // Already in CGROUP (CLONE_INTO_CGROUP), so the new cgroup namespace is rooted there.
      if (unshare(CLONE_NEWCGROUP) != 0) die("unshare(CLONE_NEWCGROUP)");
      umount2("/sys/fs/cgroup", MNT_DETACH);  // the host's view; a cgroup2 root cannot be stacked
      if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        die("mount cgroup2 /sys/fs/cgroup");
    }
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("mount /proc");
  }
  execvp(argv[0], argv);
  fprintf(stderr, "benchkit: exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

// Starts argv as an init in MODE inside the cgroup CGROUP_FD; returns its pid.
static pid_t spawn_init(enum mode mode, int cgroup_fd, char** argv, int quiet) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_INTO_CGROUP;
  if (mode != MODE_PLAIN) args.flags |= CLONE_NEWPID | CLONE_NEWNS;
  args.cgroup = (__u64)(unsigned)cgroup_fd;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) die("clone3");
  if (pid == 0) become_init(mode, argv, quiet);
  return (pid_t)pid;
}

static int cmd_launch(int argc, char** argv) {
  if (argc < 6 || strcmp(argv[4], "--") != 0) usage();
  enum mode mode = parse_mode(argv[1]);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) die("prctl(PR_SET_CHILD_SUBREAPER)");
  int cgroup_fd = open_cgroup(argv[2]);
  pid_t init = spawn_init(mode, cgroup_fd, argv + 5, 0);
  close(cgroup_fd);

  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[3]);
  FILE* f = fopen(tmp, "w");
  if (f == NULL) die(tmp);
  fprintf(f, "%d\n", init);
  fclose(f);
  if (rename(tmp, argv[3]) != 0) die("rename pid file");

  int code = 125;
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: the init and everything that came back to us are gone
    }
    if (pid == init) code = exit_code(status);
  }
  return code;
}

struct variant {
  char* name;
  enum mode mode;
  int cgroup_fd;
  char** argv;
};

// Reads SPECFILE into *out; returns the number of variants.
static int read_spec(const char* path, struct variant** out) {
  FILE* f = fopen(path, "r");
  if (f == NULL) die(path);
  struct variant* v = NULL;
  int n = 0;
  char* line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '\0') continue;
    char* fields[64];
    int nf = 0;
    for (char* save = NULL, *tok = strtok_r(strdup(line), "\t", &save); tok != NULL && nf < 63;
         tok = strtok_r(NULL, "\t", &save))
      fields[nf++] = tok;
    if (nf < 4) {
      fprintf(stderr, "benchkit: bad spec line: %s\n", line);
      exit(2);
    }
    v = realloc(v, (size_t)(n + 1) * sizeof *v);
    v[n].name = fields[0];
    v[n].mode = parse_mode(fields[1]);
    v[n].cgroup_fd = open_cgroup(fields[2]);
    v[n].argv = calloc((size_t)nf - 2, sizeof(char*));
    memcpy(v[n].argv, fields + 3, (size_t)(nf - 3) * sizeof(char*));
    n++;
  }
  free(line);
  fclose(f);
  *out = v;
  return n;
}

static int cmd_startup(int argc, char** argv) {
  if (argc != 4 && argc != 5) usage();
  int rounds = atoi(argv[1]), batch = atoi(argv[2]);
  int gap_ms = argc == 5 ? atoi(argv[4]) : 0;
  struct variant* v;
  int n = read_spec(argv[3], &v);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) die("prctl(PR_SET_CHILD_SUBREAPER)");
  for (int r = 0; r < rounds; r++) {
    for (int b = 0; b < batch; b++) {
      for (int k = 0; k < n; k++) {
        struct variant* x = &v[(k + r * batch + b) % n];  // rotate: no variant always follows another
        struct rusage ru;
        int status;
        if (gap_ms > 0) usleep((useconds_t)gap_ms * 1000);
        int64_t t0 = now_ns();
        pid_t pid = spawn_init(x->mode, x->cgroup_fd, x->argv, 1);
        while (wait4(pid, &status, 0, &ru) < 0) {
          if (errno != EINTR) die("wait4");
        }
        int64_t t1 = now_ns();
        if (exit_code(status) != 0) {
          fprintf(stderr, "benchkit: %s exited with status %d\n", x->name, exit_code(status));
          return 1;
        }
        long long cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
                        (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
        printf("%s\t%d\t%lld\t%lld\n", x->name, r, (long long)(t1 - t0), cpu);
      }
    }
  }
  return 0;
}

static int cmd_rtt(int argc, char** argv) {
  if (argc != 4) usage();
  pid_t pid = atoi(argv[1]);
  int trips = atoi(argv[3]);
  int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(argv[2]);
  int64_t* ns = calloc((size_t)trips, sizeof *ns);
  for (int i = -5; i < trips; i++) {
    char c;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t t0 = now_ns();
    if (kill(pid, SIGUSR1) != 0) die("kill");
    if (poll(&p, 1, 2000) != 1) {
      fprintf(stderr, "benchkit: no answer from pid %d within 2 s\n", pid);
      return 1;
    }
    if (read(fd, &c, 1) != 1) die("read");
    if (i >= 0) ns[i] = now_ns() - t0;
  }
  for (int i = 0; i < trips; i++) printf("%lld\n", (long long)ns[i]);
  return 0;
}

static int cmd_term_to_empty(int argc, char** argv) {
  if (argc != 4) usage();
  char path[4096];
  snprintf(path, sizeof path, "%s/cgroup.events", argv[2]);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  int64_t t0 = now_ns(), deadline = t0 + (int64_t)atoi(argv[3]) * 1000000;
  if (kill(atoi(argv[1]), SIGTERM) != 0) die("kill");
  for (;;) {
    char buf[256];
    ssize_t len = pread(fd, buf, sizeof buf - 1, 0);
    if (len < 0) die("read cgroup.events");
    buf[len] = '\0';
    if (strstr(buf, "populated 0") != NULL) break;
    if (now_ns() > deadline) {
      fprintf(stderr, "benchkit: %s still populated after %s ms\n", argv[2], argv[3]);
      return 1;
    }
    struct pollfd p = {.fd = fd, .events = POLLPRI};  // cgroup.events notifies changes
    poll(&p, 1, 1);
  }
  printf("%lld\n", (long long)((now_ns() - t0) / 1000));
  return 0;
}

static int cmd_sleep(int argc, char** argv) {
  if (argc != 2) usage();
  struct timespec ts = {.tv_sec = atoi(argv[1])};
  while (nanosleep(&ts, &ts) != 0) {
  }
  return 0;
}

static int cmd_echo(int argc, char** argv) {
  if (argc != 2) usage();
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  int fd = open(argv[1], O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(argv[1]);
  if (write(fd, "R", 1) != 1) die("write");
  for (;;) {
    if (sigwaitinfo(&usr1, NULL) == SIGUSR1 && write(fd, "!", 1) != 1) die("write");
  }
}

// Opens CTL/out for writing and CTL/in for reading (the driver holds both FIFOs open read-write).
static void open_ctl(const char* ctl, int* out, int* in) {
  char path[4096];
  snprintf(path, sizeof path, "%s/out", ctl);
  *out = open(path, O_WRONLY | O_CLOEXEC);
  if (*out < 0) die(path);
  snprintf(path, sizeof path, "%s/in", ctl);
  *in = open(path, O_RDONLY | O_CLOEXEC);
  if (*in < 0) die(path);
}

static void await_byte(int in) {
  char c;
  while (read(in, &c, 1) < 0) {
    if (errno != EINTR) die("read CTL/in");
  }
}

// True when the only child of our parent (the init) is this process: /proc/PPID/task/PPID/children
// lists zombies too until they are reaped.
static int parent_has_no_other_child(void) {
  char path[64], buf[4096];
  pid_t ppid = getppid();
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", ppid, ppid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  ssize_t len = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (len < 0) die(path);
  buf[len] = '\0';
  int children = 0, me = 0;
  for (char *save = NULL, *tok = strtok_r(buf, " \n", &save); tok != NULL;
       tok = strtok_r(NULL, " \n", &save)) {
    children++;
    if (atoi(tok) == getpid()) me = 1;
  }
  return me && children == 1;
}

// The number of children of pid (zombies included), from /proc/PID/task/PID/children.
static int count_children(pid_t pid) {
  char path[64], buf[65536];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  int n = 0;
  ssize_t len;
  while ((len = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < len; i++) n += buf[i] == ' ';
  }
  close(fd);
  return n;
}

// Forks n children that exit at once and exits itself, so that they become orphans. Gives up
// (exit 1) when fork keeps failing for 30 s.
static __attribute__((noreturn)) void orphan_batch(int n) {
  int64_t deadline = now_ns() + 30 * (int64_t)1000000000;
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    if (p < 0) {
      if (errno != EAGAIN || now_ns() > deadline) _exit(1);
      usleep(1000);  // out of pids while the init catches up: retry
      i--;
    }
  }
  _exit(0);
}

// At most this many orphans wait for the init at a time: a batch's zombies are the batch's own
// children until it exits, and pid_max (32768 by default) is the whole machine's.
enum { ORPHAN_BATCH = 1000, ORPHANS_PENDING = 8000 };

static int cmd_orphans(int argc, char** argv) {
  if (argc != 3) usage();
  int n = atoi(argv[1]), out, in;
  open_ctl(argv[2], &out, &in);
  if (write(out, "R", 1) != 1) die("write");
  await_byte(in);
  pid_t init = getppid();
  pid_t middle = fork();
  if (middle < 0) die("fork");
  if (middle == 0) {
    if (n <= ORPHANS_PENDING) orphan_batch(n);
    for (int done = 0; done < n; done += ORPHAN_BATCH) {
      // Bounded: wait until the init has reaped most of what came before.
      for (int64_t deadline = now_ns() + 60 * (int64_t)1000000000; count_children(init) > ORPHANS_PENDING;) {
        if (now_ns() > deadline) _exit(1);
        usleep(500);
      }
      pid_t batch = fork();
      if (batch < 0) _exit(1);
      if (batch == 0) orphan_batch(n - done < ORPHAN_BATCH ? n - done : ORPHAN_BATCH);
      int status;
      if (waitpid(batch, &status, 0) != batch || exit_code(status) != 0) _exit(1);
    }
    _exit(0);
  }
  int status;
  waitpid(middle, &status, 0);
  const char* answer = "D";
  for (int64_t deadline = now_ns() + 120 * (int64_t)1000000000; !parent_has_no_other_child();) {
    if (now_ns() > deadline) {
      answer = "T";
      break;
    }
    usleep(500);
  }
  if (exit_code(status) != 0) answer = "F";
  if (write(out, answer, 1) != 1) die("write");
  await_byte(in);
  return 0;
}

static int cmd_escapees(int argc, char** argv) {
  if (argc != 3 && argc != 4) usage();
  int ignore = argc == 3 || strcmp(argv[3], "exit") != 0;
  int n = atoi(argv[1]), out, in, ready[2];
  open_ctl(argv[2], &out, &in);
  if (pipe2(ready, O_CLOEXEC) != 0) die("pipe2");
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
      setsid();
      if (ignore) signal(SIGTERM, SIG_IGN);
      prctl(PR_SET_NAME, "bench-escapee", 0, 0, 0);
      if (write(ready[1], "r", 1) != 1) _exit(1);
      close(out);
      close(in);
      close(ready[0]);
      close(ready[1]);
      for (;;) pause();
    }
  }
  close(ready[1]);
  for (int i = 0; i < n; i++) {  // every daemon is set up before the driver looks for them
    char c;
    if (read(ready[0], &c, 1) != 1) die("read from the escapees");
  }
  if (write(out, "R", 1) != 1) die("write");
  await_byte(in);
  return 0;
}

static int cmd_listeners(int argc, char** argv) {
  if (argc != 3) usage();
  int n = atoi(argv[1]), out, in, ready[2];
  open_ctl(argv[2], &out, &in);
  if (pipe2(ready, O_CLOEXEC) != 0) die("pipe2");
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);  // the program itself keeps it blocked: it is not counted
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
      prctl(PR_SET_NAME, "bench-listener", 0, 0, 0);
      close(in);
      close(ready[0]);
      if (write(ready[1], "r", 1) != 1) _exit(1);
      close(ready[1]);
      for (;;) {
        if (sigwaitinfo(&usr1, NULL) == SIGUSR1 && write(out, "!", 1) != 1) _exit(1);
      }
    }
  }
  close(ready[1]);
  for (int i = 0; i < n; i++) {
    char c;
    if (read(ready[0], &c, 1) != 1) die("read from the listeners");
  }
  if (write(out, "R", 1) != 1) die("write");
  await_byte(in);
  return 0;
}

// On-CPU ns of pid's main thread; -1 when it cannot be read.
static int64_t schedstat_ns(pid_t pid) {
  char path[64], buf[128];
  snprintf(path, sizeof path, "/proc/%d/schedstat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t len = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (len <= 0) return -1;
  buf[len] = '\0';
  return strtoll(buf, NULL, 10);
}

// Waits up to ms for one byte on fd; 1 when it came.
static int read_byte(int fd, int ms, char* c) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    int r = poll(&p, 1, ms);
    if (r < 0 && errno == EINTR) continue;
    if (r != 1) return 0;
    ssize_t len = read(fd, c, 1);
    if (len == 1) return 1;
    if (len < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    return 0;
  }
}

static int cmd_drain(int argc, char** argv) {
  if (argc < 7 || strcmp(argv[5], "--") != 0) usage();
  enum mode mode = parse_mode(argv[1]);
  int timeout_ms = atoi(argv[4]);
  char path[4096];
  snprintf(path, sizeof path, "%s/out", argv[3]);
  int out = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (out < 0) die(path);
  snprintf(path, sizeof path, "%s/in", argv[3]);
  int in = open(path, O_RDWR | O_CLOEXEC);
  if (in < 0) die(path);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) die("prctl(PR_SET_CHILD_SUBREAPER)");
  int cgroup_fd = open_cgroup(argv[2]);
  pid_t init = spawn_init(mode, cgroup_fd, argv + 6, 0);
  close(cgroup_fd);
  int pidfd = (int)syscall(SYS_pidfd_open, init, 0);
  if (pidfd < 0) die("pidfd_open");
  char c = 0;
  int code = 1;
  if (!read_byte(out, 120000, &c) || c != 'R') {
    fprintf(stderr, "benchkit: the workload did not say R within 120 s\n");
    kill(init, SIGKILL);
  } else {
    int64_t c0 = schedstat_ns(init), t0 = now_ns();
    if (write(in, "x", 1) != 1) die("write CTL/in");
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int r;
    while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    int64_t t1 = now_ns();
    if (r != 1) {
      fprintf(stderr, "benchkit: the init is still running %d ms after its program's exit\n", timeout_ms);
      kill(init, SIGKILL);
    } else {
      siginfo_t si;
      memset(&si, 0, sizeof si);
      if (waitid(P_PID, (id_t)init, &si, WEXITED | WNOWAIT) != 0) die("waitid");
      int64_t c1 = schedstat_ns(init);  // its zombie still has the figure
      int st = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
      printf("%lld %lld %d\n", (long long)(t1 - t0), (long long)(c0 < 0 || c1 < 0 ? -1 : c1 - c0), st);
      code = 0;
    }
  }
  for (;;) {  // the init, and whatever came back to us (benchkit is their subreaper)
    int status;
    if (waitpid(-1, &status, 0) < 0 && errno != EINTR) break;
  }
  return code;
}

static int cmd_fanout(int argc, char** argv) {
  if (argc != 6) usage();
  int list = strcmp(argv[1], "list") == 0;
  pid_t target = list ? 0 : atoi(argv[1]);
  int count = atoi(argv[4]), trips = atoi(argv[5]);
  char path[4096];
  snprintf(path, sizeof path, "%s/cgroup.procs", argv[2]);
  int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(argv[3]);
  size_t cap = 1 << 20;
  char* text = malloc(cap);
  pid_t* pids = calloc(cap / 2, sizeof *pids);
  int64_t* ns = calloc((size_t)trips + 1, sizeof *ns);
  char buf[65536];
  for (int i = -1; i < trips; i++) {
    int64_t t0 = now_ns();
    if (list) {
      int procs = open(path, O_RDONLY | O_CLOEXEC);
      if (procs < 0) die(path);
      size_t len = 0;
      ssize_t got;
      while ((got = read(procs, text + len, cap - 1 - len)) > 0) len += (size_t)got;
      if (got < 0) die(path);
      close(procs);
      text[len] = '\0';
      int n = 0;
      for (char* s = text; *s;) {
        char* end;
        long pid = strtol(s, &end, 10);
        if (end == s) break;
        pids[n++] = (pid_t)pid;
        s = end;
        while (*s == '\n') s++;
      }
      for (int k = 0; k < n; k++) kill(pids[k], SIGUSR1);
    } else if (kill(target, SIGUSR1) != 0) {
      die("kill");
    }
    for (int got = 0; got < count;) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      if (poll(&p, 1, 10000) != 1) {
        fprintf(stderr, "benchkit: %d of %d answers after 10 s\n", got, count);
        return 1;
      }
      ssize_t len = read(fd, buf, sizeof buf);
      if (len < 0 && errno != EINTR) die("read");
      if (len > 0) got += (int)len;
    }
    if (i >= 0) ns[i] = now_ns() - t0;
  }
  for (int i = 0; i < trips; i++) printf("%lld\n", (long long)ns[i]);
  return 0;
}

static int cmd_frozen(int argc, char** argv) {
  if (argc != 6) usage();
  pid_t target = atoi(argv[1]);
  int count = atoi(argv[4]), trips = atoi(argv[5]);
  char path[4096];
  snprintf(path, sizeof path, "%s/cgroup.freeze", argv[2]);
  int freeze = open(path, O_RDONLY | O_CLOEXEC);
  if (freeze < 0) die(path);
  int fd = open(argv[3], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) die(argv[3]);
  char buf[65536];
  for (int i = 0; i < trips; i++) {
    int64_t t0 = now_ns(), on = 0, off = 0, deadline = t0 + 10 * (int64_t)1000000000;
    if (kill(target, SIGUSR1) != 0) die("kill");
    int got = 0;
    while (got < count || (on && !off)) {
      char c;
      if (pread(freeze, &c, 1, 0) != 1) die(path);
      int64_t t = now_ns();
      if (c == '1' && !on) on = t;
      if (c == '0' && on && !off) off = t;
      ssize_t len = read(fd, buf, sizeof buf);
      if (len > 0) got += (int)len;
      if (t > deadline) {
        fprintf(stderr, "benchkit: %d of %d answers after 10 s\n", got, count);
        return 1;
      }
    }
    printf("%lld %lld\n", (long long)(on && off ? off - on : 0), (long long)(now_ns() - t0));
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) usage();
  const char* cmd = argv[1];
  argc--;
  argv++;
  if (strcmp(cmd, "launch") == 0) return cmd_launch(argc, argv);
  if (strcmp(cmd, "startup") == 0) return cmd_startup(argc, argv);
  if (strcmp(cmd, "rtt") == 0) return cmd_rtt(argc, argv);
  if (strcmp(cmd, "term-to-empty") == 0) return cmd_term_to_empty(argc, argv);
  if (strcmp(cmd, "sleep") == 0) return cmd_sleep(argc, argv);
  if (strcmp(cmd, "echo") == 0) return cmd_echo(argc, argv);
  if (strcmp(cmd, "orphans") == 0) return cmd_orphans(argc, argv);
  if (strcmp(cmd, "escapees") == 0) return cmd_escapees(argc, argv);
  if (strcmp(cmd, "listeners") == 0) return cmd_listeners(argc, argv);
  if (strcmp(cmd, "drain") == 0) return cmd_drain(argc, argv);
  if (strcmp(cmd, "fanout") == 0) return cmd_fanout(argc, argv);
  if (strcmp(cmd, "frozen") == 0) return cmd_frozen(argc, argv);
  usage();
}
