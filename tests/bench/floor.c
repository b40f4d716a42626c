// SPDX-License-Identifier: MIT
// The benchmark's floor: the least a working init does (fork/exec one program, forward signals, reap).
//
//   floor [-s] [-c [-d GRACE_MS]] [--] PROGRAM [ARG]...
//
// It blocks every signal, starts PROGRAM with the original mask, then sleeps in sigwaitinfo(): SIGCHLD
// reaps every exited child with waitpid(-1, WNOHANG), any other signal goes to PROGRAM. When PROGRAM is
// reaped it exits with PROGRAM's status (128+N for signal N). -s registers it as a child subreaper.
// No options, no logging, no cgroups, no drain: every init in the benchmark does at least this much.
//
// -c adds the least that cginit's cgroup layout costs the kernel (the floor of "cgroup management on"):
// mkdir init/ and workload/ in its own cgroup, move itself into init/, enable +pids where the cgroup
// has it, start PROGRAM in workload/ with clone3(CLONE_INTO_CGROUP), and at the end move itself back
// and remove both. No drain, no checks beyond failing loudly.
//
// -d GRACE_MS (with -c) adds the kernel's floor of a drain (the "At scale" figures): when PROGRAM has
// exited, read workload/cgroup.procs once and kill(SIGTERM) each pid, wait on workload/cgroup.events
// until it says "populated 0" or GRACE_MS pass, then cgroup.kill and wait again; reap every child
// (the orphans came to it as PID 1 or subreaper) until none is left. No freeze, no SIGCONT, no
// recursion into sub-cgroups, no second look for late arrivals.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <mntent.h>
#include <poll.h>
#include <time.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void write_file(const char* dir, const char* name, const char* text) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) die(path);
  close(fd);
}

// The cgroup2 directory of this process: the last cgroup2 mount plus the "0::" path.
static void own_cgroup(char* out, size_t size) {
  char mnt[4096] = "", rel[4096] = "";
  FILE* m = setmntent("/proc/self/mounts", "re");
  if (!m) die("/proc/self/mounts");
  for (struct mntent* e; (e = getmntent(m));) {
    if (strcmp(e->mnt_type, "cgroup2") == 0) snprintf(mnt, sizeof mnt, "%s", e->mnt_dir);
  }
  endmntent(m);
  FILE* c = fopen("/proc/self/cgroup", "re");
  if (!c) die("/proc/self/cgroup");
  char line[4096];
  while (fgets(line, sizeof line, c)) {
    if (strncmp(line, "0::", 3) == 0) {
      line[strcspn(line, "\n")] = 0;
      snprintf(rel, sizeof rel, "%s", line + 3);
    }
  }
  fclose(c);
  if (!*mnt || !*rel) {
    fputs("floor: no cgroup2\n", stderr);
    exit(1);
  }
  snprintf(out, size, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Waits until dir/cgroup.events says "populated 0" or ms pass; 1 when empty.
static int wait_empty(int events, int ms) {
  long long deadline = now_ms() + ms;
  for (;;) {
    char buf[256];
    ssize_t len = pread(events, buf, sizeof buf - 1, 0);
    if (len < 0) die("floor: read cgroup.events");
    buf[len] = 0;
    if (strstr(buf, "populated 0")) return 1;
    long long left = deadline - now_ms();
    if (left <= 0) return 0;
    struct pollfd p = {.fd = events, .events = POLLPRI};
    poll(&p, 1, (int)left);
  }
}

static void drain(const char* work, int grace_ms) {
  char path[4300];
  snprintf(path, sizeof path, "%s/cgroup.procs", work);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  static char text[1 << 20];
  size_t len = 0;
  ssize_t got;
  while ((got = read(fd, text + len, sizeof text - 1 - len)) > 0) len += (size_t)got;
  if (got < 0) die(path);
  close(fd);
  text[len] = 0;
  for (char *s = text, *end; *s; s = end) {
    long pid = strtol(s, &end, 10);
    if (end == s) break;
    kill((pid_t)pid, SIGTERM);
  }
  snprintf(path, sizeof path, "%s/cgroup.events", work);
  int events = open(path, O_RDONLY | O_CLOEXEC);
  if (events < 0) die(path);
  if (!wait_empty(events, grace_ms)) {
    write_file(work, "cgroup.kill", "1");
    if (!wait_empty(events, 10000)) {
      fputs("floor: workload/ still populated 10 s after cgroup.kill\n", stderr);
      exit(1);
    }
  }
  close(events);
  int status;
  while (waitpid(-1, &status, 0) > 0 || errno == EINTR) {
  }
}

int main(int argc, char** argv) {
  int arg = 1, cgroups = 0, grace_ms = -1;
  for (; arg < argc && argv[arg][0] == '-' && strcmp(argv[arg], "--") != 0; arg++) {
    if (strcmp(argv[arg], "-s") == 0) {
      if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) die("floor: prctl(PR_SET_CHILD_SUBREAPER)");
    } else if (strcmp(argv[arg], "-c") == 0) {
      cgroups = 1;
    } else if (strcmp(argv[arg], "-d") == 0 && arg + 1 < argc) {
      grace_ms = atoi(argv[++arg]);
    } else {
      break;
    }
  }
  if (arg < argc && strcmp(argv[arg], "--") == 0) arg++;
  if (arg >= argc) {
    fputs("usage: floor [-s] [-c [-d GRACE_MS]] [--] PROGRAM [ARG]...\n", stderr);
    return 2;
  }

  char root[4096] = "", init[4200] = "", work[4200] = "";
  int work_fd = -1;
  if (cgroups) {
    own_cgroup(root, sizeof root);
    snprintf(init, sizeof init, "%s/init", root);
    snprintf(work, sizeof work, "%s/workload", root);
    if (mkdir(init, 0755) != 0 || mkdir(work, 0755) != 0) die("floor: mkdir");
    write_file(init, "cgroup.procs", "0");
    char controllers[512] = "", path[4300];
    snprintf(path, sizeof path, "%s/cgroup.controllers", root);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t n = read(fd, controllers, sizeof controllers - 1);
      controllers[n > 0 ? n : 0] = 0;
      close(fd);
    }
    if (strstr(controllers, "pids")) write_file(root, "cgroup.subtree_control", "+pids");
    work_fd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (work_fd < 0) die("floor: open workload");
  }

  sigset_t all, original;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &original);
  pid_t child;
  if (cgroups) {
    struct clone_args args = {.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)work_fd};
    child = (pid_t)syscall(SYS_clone3, &args, sizeof args);
  } else {
    child = fork();
  }
  if (child < 0) die("floor: fork");
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &original, NULL);
    execvp(argv[arg], argv + arg);
    perror("floor: exec");
    _exit(127);
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == child) {
        if (cgroups) {
          if (grace_ms >= 0) drain(work, grace_ms);
          write_file(root, "cgroup.procs", "0");
          if (rmdir(work) != 0 || rmdir(init) != 0) die("floor: rmdir");
        }
        return exit_code(status);
      }
    }
  }
}
