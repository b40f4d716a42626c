// SPDX-License-Identifier: MIT
// CgroupTree: the init/ + workload/ layout inside cginit's own cgroup.
#include "cginit/cgroup_tree.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cginit/cgroup_discovery.h"
#include "cginit/cgroup_paths.h"
#include "cginit/options.h"
#include "cginit/proc.h"
#include "cginit/sys.h"
#include "cginit/text.h"

#include "cgroup_tree_helpers.h"

namespace cginit {

namespace {

using namespace tree_detail;  // NOLINT: this module's private helpers

constexpr int kEnableAttempts = 3;  // EBUSY when a process slipped into <root> meanwhile
/// workload/cgroup.max.descendants unless --limit sets it: no cgroup bomb.
constexpr std::string_view kDefaultMaxDescendants = "1000";

std::string joinOrNone(const std::vector<std::string>& list) {
  return list.empty() ? std::string("none") : fmt::format("{}", fmt::join(list, " "));
}

/// What the kernel holds in pids.max after `written` went in: the report shows that, not what
/// was asked for. Only "max" or plain decimal counts (anything else could not go into the JSON
/// as it is); when the file cannot be read back, nothing.
std::optional<std::string> readBackPidsMax(const Cgroup& workload, const std::string& written) {
  auto text = workload.read("pids.max");
  if (!text) {
    spdlog::warn("pids.max was written as {} but cannot be read back: {}", written,
                 text.error().message);
    return std::nullopt;
  }
  const std::string_view held = fileValue(*text);
  if (held != "max" && !parsePlainDecimal(held)) {
    spdlog::warn("pids.max reads back as {}, which is neither a number nor max", quoted(held));
    return std::nullopt;
  }
  if (held != written) {
    spdlog::warn("pids.max was written as {} but the kernel holds {}", written, held);
  }
  return std::string(held);
}

/// The controllers to enable in <root> and the files to write into workload/.
struct Plan {
  std::vector<std::string> controllers;
  std::vector<std::pair<std::string, std::string>> writes;  // file, value
  /// cginit's own defaults (cgroup.max.descendants): a failure is a warning, also when strict.
  std::vector<std::pair<std::string, std::string>> defaults;
};

/// Checks pids.max and the limits against <root>/cgroup.controllers. A missing controller is an
/// Error when the request is strict, else a warning naming it (the limit is skipped).
Result<Plan> planControllers(const std::vector<std::string>& available, const Cgroup& root,
                             const CgroupRequest& request) {
  Plan plan;
  const auto add = [&](const std::string& file, const std::string& value) -> Status {
    if (!isValidLimitFile(file)) {
      return Error{EINVAL, "invalid cgroup limit file '" + file + "'"};
    }
    const std::string controller(limitController(file));
    if (controller.empty()) {  // cgroup.max.descendants and .depth need no controller
      plan.writes.emplace_back(file, value);
      return {};
    }
    if (contains(available, controller)) {
      if (!contains(plan.controllers, controller)) {
        plan.controllers.push_back(controller);
      }
      plan.writes.emplace_back(file, value);
      return {};
    }
    Error missing{0, fmt::format("controller {} is not available in {}/cgroup.controllers "
                                 "(available: {}), so {}={} cannot be applied; the parent cgroup "
                                 "must delegate it",
                                 controller, root.path(), joinOrNone(available), file, value)};
    if (request.strict) {
      return missing;
    }
    spdlog::warn("{}", missing.message);
    return {};
  };
  if (request.pidsMax) {
    if (auto st = add("pids.max", *request.pidsMax); !st) {
      return std::move(st).error();
    }
  } else if (contains(available, "pids")) {
    plan.controllers.emplace_back("pids");  // for pids.events and pids.peak
  }
  for (const auto& [file, value] : request.limits) {
    if (auto st = add(file, value); !st) {
      return std::move(st).error();
    }
  }
  const bool descendantsSet =
      std::any_of(request.limits.begin(), request.limits.end(),
                  [](const auto& limit) { return limit.first == "cgroup.max.descendants"; });
  if (!descendantsSet) {
    plan.defaults.emplace_back("cgroup.max.descendants", std::string(kDefaultMaxDescendants));
  }
  return plan;
}

}  // namespace

Result<CgroupTree> CgroupTree::setup(const CgroupRequest& request) {
  auto own = discoverOwnCgroup(request.procSelfCgroup, request.mountinfo);
  if (own.cannotManage) {
    return *std::move(own.cannotManage);
  }
  UniqueFd fd(sys::openAt(AT_FDCWD, *own.directory, O_RDONLY | O_DIRECTORY));
  if (!fd) {
    return sysError("open", *own.directory);
  }
  auto tree = setupAt(std::move(fd), *own.directory, request);
  if (tree && own.mount) {
    tree->nsdelegate_ = own.mount->nsdelegate;
  }
  return tree;
}

Result<CgroupTree> CgroupTree::setupAt(UniqueFd rootDir, std::string displayPath,
                                       const CgroupRequest& request) {
  CgroupTree tree;
  tree.root_ = Cgroup(std::move(rootDir), std::move(displayPath));
  if (auto built = tree.build(request); !built) {
    if (auto undone = tree.teardown(); !undone) {
      spdlog::warn("undoing the cgroup setup: {}", undone.error().message);
    }
    return std::move(built).error();
  }
  return tree;
}

Status CgroupTree::build(const CgroupRequest& request) {
  if (auto usable = checkManageable(root_); !usable) {
    return usable;
  }
  auto available = root_.controllers();
  if (!available) {
    return std::move(available).error();
  }
  available_ = std::move(*available);
  auto plan = planControllers(available_, root_, request);
  if (!plan) {
    return std::move(plan).error();
  }
  self_ = ::getpid();
  procSelfCgroup_ = request.procSelfCgroup;
  preexisting_ = root_.descendants();
  // init/ and workload/, then everything out of <root>, and only then the controllers: enabling
  // a threaded one (pids, cpu) while <root> has processes makes it a thread root for good.
  auto init = root_.child("init", true, &createdInit_);
  if (!init) {
    return explainNotWritable(root_, std::move(init).error());
  }
  init_ = std::move(*init);
  auto workload = root_.child("workload", true, &createdWorkload_);
  if (!workload) {
    return std::move(workload).error();
  }
  workload_ = std::move(*workload);
  // Before cginit joins init/: a frozen init/ would stop cginit itself, a frozen workload/ the
  // program before its first instruction.
  if (!preexisting_.empty()) {
    thawLeftovers();
  }
  if (auto moved = moveRootToInit(); !moved) {
    return explainNotWritable(root_, std::move(moved).error());
  }
  if (auto where = currentCgroup(procSelfCgroup_)) {
    selfCgroup_ = *where;
  }
  if (auto enabled = enableControllers(plan->controllers); !enabled) {
    return enabled;
  }

  for (const auto& [file, value] : plan->writes) {
    if (auto st = workload_.write(file, value); !st) {
      if (request.strict) {
        return st;
      }
      spdlog::warn("{} not applied: {}", file, st.error().message);
    } else {
      if (file == "pids.max") {
        pidsMaxWritten_ = readBackPidsMax(workload_, value);
      }
      recordWritten(false, file, value);
    }
  }
  // `docker exec` (runc) puts its processes into init/ beside cginit, where workload/'s pids.max
  // does not reach them; nothing tells cginit when one arrives (init/ stays populated), so they
  // get a budget of their own instead of being moved. Moving into init/ ignores pids.max.
  if (pidsMaxWritten_ && *pidsMaxWritten_ != "max") {
    if (auto st = init_.write("pids.max", std::to_string(kInitPidsBudget)); !st) {
      spdlog::warn("init/pids.max not applied, processes that join init/ are not limited: {}",
                   st.error().message);
    } else {
      recordWritten(true, "pids.max", std::to_string(kInitPidsBudget));
    }
  }
  for (const auto& [file, value] : plan->defaults) {
    if (auto st = workload_.write(file, value); !st) {
      spdlog::warn("{} not applied: {}", file, st.error().message);
    } else {
      recordWritten(false, file, value);
    }
  }

  auto events = workload_.openFile("cgroup.events");
  if (!events) {
    return std::move(events).error();
  }
  eventsFd_ = std::move(*events);
  // pids.events exists where pids is enabled for workload/, which needs it in <root>'s
  // cgroup.controllers: without it there is nothing to open.
  if (contains(available_, "pids")) {
    if (auto pidsEvents = workload_.openFile("pids.events")) {
      pidsEventsFd_ = std::move(*pidsEvents);
    } else {
      spdlog::debug("{}", pidsEvents.error().message);
    }
  }
  spdlog::info("managing cgroup {}: cginit in init/, the program in workload/ (enabled: {})",
               root_.path(), joinOrNone(enabled_));
  return {};
}

void CgroupTree::recordWritten(bool inInit, const std::string& file, const std::string& value) {
  auto text = (inInit ? init_ : workload_).read(file);
  if (!text) {
    spdlog::debug("reading {} back: {}", file, text.error().message);
    return;
  }
  std::string held = std::move(*text);
  while (!held.empty() && held.back() == '\n') {
    held.pop_back();
  }
  limitsWritten_.push_back(WrittenLimit{inInit, file, value, std::move(held)});
}

Status CgroupTree::enableControllers(const std::vector<std::string>& wanted) {
  if (wanted.empty()) {
    return {};  // nothing to compare with cgroup.subtree_control
  }
  auto current = root_.subtreeControl();
  if (!current) {
    return std::move(current).error();
  }
  std::vector<std::string> toEnable;
  for (const auto& controller : wanted) {
    if (!contains(*current, controller)) {
      toEnable.push_back(controller);
    }
  }
  Status enabled = root_.setControllers(toEnable, true);
  // EBUSY: a process joined <root> after it was emptied (no-internal-processes rule).
  for (int attempt = 1; !enabled && enabled.error().code == EBUSY && attempt < kEnableAttempts;
       ++attempt) {
    if (auto moved = moveRootToInit(); !moved) {
      return moved;
    }
    enabled = root_.setControllers(toEnable, true);
  }
  if (!enabled) {
    if (enabled.error().code == EOPNOTSUPP) {
      return std::move(enabled).error().context(
          "enabling controllers (the cgroup is a threaded domain: a threaded controller was "
          "enabled while it had processes)");
    }
    return std::move(enabled).error().context("enabling controllers");
  }
  rootHasControllers_ = !current->empty() || !toEnable.empty();
  enabled_ = std::move(toEnable);
  return {};
}

Status CgroupTree::moveRootToInit() {
  const pid_t self = self_;
  for (int round = 0; round < kMoveRounds; ++round) {
    size_t outside = 0;
    auto pids = root_.procs(&outside);
    if (!pids) {
      return std::move(pids).error();
    }
    if (pids->empty()) {
      if (outside > 0) {
        // Listed as pid 0: no pid to write into init/cgroup.procs, so <root> cannot be emptied.
        return Error{0, fmt::format("{} holds {} process(es) outside cginit's PID namespace "
                                    "(pid 0 in cgroup.procs), which cannot be moved into init/",
                                    root_.path(), outside)};
      }
      return {};
    }
    // cginit first, so that it is in init/ however the rest goes.
    std::stable_partition(pids->begin(), pids->end(), [self](pid_t pid) { return pid == self; });
    for (const pid_t pid : *pids) {
      if (auto st = init_.moveProc(pid); !st && st.error().code != ESRCH) {
        return std::move(st).error().context(fmt::format("moving process {} into init/", pid));
      }
      if (pid != self) {
        residents_.push_back(pid);
      }
    }
  }
  return Error{EBUSY,
               fmt::format("{} does not become empty: processes keep arriving", root_.path())};
}

Status CgroupTree::teardown() {
  Status first;
  const auto note = [&first](Status st) {
    if (!st && first) {
      first = std::move(st);
    }
  };
  eventsFd_.reset();
  pidsEventsFd_.reset();
  // What the workload made beside workload/ (the drain emptied it), depth first.
  if (root_ && (init_ || workload_)) {
    note(removeMadeByWorkload());
  }
  // By the flag, not by workload_: mkdir may have succeeded and the open after it failed.
  if (createdWorkload_) {
    note(root_.removeChild("workload"));
    createdWorkload_ = false;
  }
  workload_ = Cgroup();
  rootHasControllers_ = false;
  if (!enabled_.empty()) {
    // So that <root> may hold processes again (no-internal-processes rule).
    if (auto st = root_.setControllers(enabled_, false); !st && !isGone(st.error())) {
      note(std::move(st));
    }
    enabled_.clear();
  }
  if (init_) {
    if (auto pids = init_.procs()) {
      for (const pid_t pid : *pids) {
        if (auto st = root_.moveProc(pid); !st && st.error().code != ESRCH) {
          note(std::move(st));
        }
      }
    } else if (!isGone(pids.error())) {
      note(std::move(pids).error());
    }
    init_ = Cgroup();
  }
  if (createdInit_) {
    note(root_.removeChild("init"));
    createdInit_ = false;
  }
  return first;
}

Status CgroupTree::remove() {
  return teardown();
}

Status CgroupTree::movePidToWorkload(pid_t pid) {
  return workload_.moveProc(pid);
}

Result<bool> CgroupTree::workloadPopulated() const {
  auto kv = readKeyValuesFd(eventsFd_.get());
  if (!kv) {
    if (isGone(kv.error())) {
      return false;  // workload/ was removed under us, which the kernel allows only when empty
    }
    return std::move(kv).error().context(workload_.path() + "/cgroup.events");
  }
  const auto it = kv->find("populated");
  if (it == kv->end()) {
    return Error{0, workload_.path() + "/cgroup.events has no populated key"};
  }
  return it->second != 0;
}

Result<uint64_t> CgroupTree::pidsMaxEvents() const {
  if (!pidsEventsFd_) {
    return uint64_t{0};
  }
  auto kv = readKeyValuesFd(pidsEventsFd_.get());
  if (!kv) {
    return std::move(kv).error().context(workload_.path() + "/pids.events");
  }
  const auto it = kv->find("max");
  return it == kv->end() ? uint64_t{0} : it->second;
}

Result<std::optional<uint64_t>> CgroupTree::pidsPeak() const {
  if (!pidsEventsFd_) {
    return std::optional<uint64_t>{};  // pids is not enabled for workload/: no pids.peak either
  }
  auto text = readIfPresent(workload_, "pids.peak");
  if (!text) {
    return std::move(text).error();
  }
  if (!*text) {
    return std::optional<uint64_t>{};  // absent before Linux 6.1
  }
  const auto value = parseCounter(**text);
  if (!value) {
    return Error{0, fmt::format("{}/pids.peak: invalid value '{}'", workload_.path(), **text)};
  }
  return std::optional<uint64_t>(value);
}

Result<std::optional<uint64_t>> CgroupTree::oomKills() const {
  if (!contains(available_, "memory")) {
    return std::optional<uint64_t>{};  // memory cannot be enabled for workload/: no memory.events
  }
  auto text = readIfPresent(workload_, "memory.events");
  if (!text) {
    return std::move(text).error();
  }
  if (!*text) {
    return std::optional<uint64_t>{};  // memory not enabled for workload/ after all
  }
  auto kv = parseKeyValues(**text);
  if (!kv) {
    return std::move(kv).error().context(workload_.path() + "/memory.events");
  }
  const auto it = kv->find("oom_kill");
  return it == kv->end() ? std::optional<uint64_t>{} : std::optional<uint64_t>(it->second);
}

void CgroupTree::thawLeftovers() {
  for (const auto& rel : root_.descendants()) {
    auto cg = root_.descendant(rel);
    if (!cg) {
      continue;
    }
    auto state = readIfPresent(*cg, "cgroup.freeze");
    if (!state || !*state || (*state)->substr(0, 1) != "1") {
      continue;
    }
    if (auto st = cg->freeze(false); st) {
      spdlog::warn("{} was frozen (left over from an earlier run?): thawed it", cg->path());
    } else {
      spdlog::warn("{} is frozen and could not be thawed: {}", cg->path(), st.error().message);
    }
  }
}

Status CgroupTree::removeMadeByWorkload() {
  auto names = root_.children();
  if (!names) {
    return isGone(names.error()) ? Status{} : Status(std::move(names).error());
  }
  Status first;
  for (const auto& name : *names) {
    if (name == "init" || name == "workload" || contains(preexisting_, name)) {
      continue;
    }
    if (auto st = root_.removeChild(name); !st && first) {
      first = std::move(st);
    }
  }
  return first;
}

}  // namespace cginit
