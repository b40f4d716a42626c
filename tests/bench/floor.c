// SPDX-License-Identifier: MIT
// The benchmark's floor: the least a working init does (fork/exec one program, forward signals, reap).
//
//   floor [-s] [-c] [--] PROGRAM [ARG]...
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
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <mntent.h>
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

int main(int argc, char** argv) {
  int arg = 1, cgroups = 0;
  for (; arg < argc && argv[arg][0] == '-' && strcmp(argv[arg], "--") != 0; arg++) {
    if (strcmp(argv[arg], "-s") == 0) {
      if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) die("floor: prctl(PR_SET_CHILD_SUBREAPER)");
    } else if (strcmp(argv[arg], "-c") == 0) {
      cgroups = 1;
    } else {
      break;
    }
  }
  if (arg < argc && strcmp(argv[arg], "--") == 0) arg++;
  if (arg >= argc) {
    fputs("usage: floor [-s] [-c] [--] PROGRAM [ARG]...\n", stderr);
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
          write_file(root, "cgroup.procs", "0");
          if (rmdir(work) != 0 || rmdir(init) != 0) die("floor: rmdir");
        }
        return exit_code(status);
      }
    }
  }
}
