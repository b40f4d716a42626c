// SPDX-License-Identifier: MIT
// The benchmark's floor: the least a working init does (fork/exec one program, forward signals, reap).
//
//   floor [-s] [--] PROGRAM [ARG]...
//
// It blocks every signal, starts PROGRAM with the original mask, then sleeps in sigwaitinfo(): SIGCHLD
// reaps every exited child with waitpid(-1, WNOHANG), any other signal goes to PROGRAM. When PROGRAM is
// reaped it exits with PROGRAM's status (128+N for signal N). -s registers it as a child subreaper.
// No options, no logging, no cgroups, no drain: every init in the benchmark does at least this much.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char** argv) {
  int arg = 1;
  if (arg < argc && strcmp(argv[arg], "-s") == 0) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
      perror("floor: prctl(PR_SET_CHILD_SUBREAPER)");
      return 1;
    }
    arg++;
  }
  if (arg < argc && strcmp(argv[arg], "--") == 0) arg++;
  if (arg >= argc) {
    fputs("usage: floor [-s] [--] PROGRAM [ARG]...\n", stderr);
    return 2;
  }

  sigset_t all, original;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &original);
  pid_t child = fork();
  if (child < 0) {
    perror("floor: fork");
    return 1;
  }
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
      if (pid == child) return exit_code(status);
    }
  }
}
