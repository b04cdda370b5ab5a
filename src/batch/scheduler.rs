//! A batch's decisions, with no I/O: which job goes to which server next, what happens to a
//! job whose server went away, when a server counts as down or back, when to give up. The
//! runner (`batch::run`) does the I/O and asks this; the rules are unit-tested here.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// A job moved off a failing server this many times is failed instead.
pub const MAX_ATTEMPTS: u32 = 3;

/// One server as the scheduler sees it.
#[derive(Debug, Clone)]
pub struct Slot {
    /// Jobs in flight at most.
    pub limit: usize,
    /// Jobs in flight now.
    pub in_flight: usize,
    /// Since when it has been unreachable (`None` while up).
    pub down_since: Option<Instant>,
    /// Set up for jobs (inputs uploaded, socket started): a server down since the start is not.
    pub ready: bool,
    /// Jobs done there.
    pub done: usize,
    /// Jobs failed there.
    pub failed: usize,
}

impl Slot {
    /// A server allowed `limit` jobs at once, up and not yet set up.
    pub fn new(limit: usize) -> Slot {
        Slot {
            limit,
            in_flight: 0,
            down_since: None,
            ready: false,
            done: 0,
            failed: 0,
        }
    }

    /// Unreachable now.
    pub fn is_down(&self) -> bool {
        self.down_since.is_some()
    }

    fn load(&self) -> f64 {
        self.in_flight as f64 / self.limit.max(1) as f64
    }
}

/// How a job's run ended, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It has an ending to record (success or a failure of the job itself).
    Final,
    /// Its server could not be reached: the job never got there, or was lost.
    Unreachable,
    /// The server forgot it (a restart): it ran, or started to, and is gone.
    Lost,
    /// It never reached a server (a resume found no trace of it): it goes again, freely.
    NeverRan,
}

/// What to do with a finished job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Put it back at the front of the queue (another server, or this one when it is back).
    Requeue,
    /// Record its line; `attempt` is how many tries it took.
    Record {
        /// Tries, counting this one.
        attempt: u32,
    },
}

/// The queue and the servers.
#[derive(Debug)]
pub struct Scheduler {
    /// The servers, in the order given.
    pub slots: Vec<Slot>,
    queue: VecDeque<usize>,
    /// Tries of jobs that were moved (only those, so the map does not grow with the batch).
    attempts: HashMap<usize, u32>,
    /// Jobs already requeued because their server forgot them: never a second time for that.
    lost_once: std::collections::HashSet<usize>,
    stopping: bool,
}

impl Scheduler {
    /// A scheduler for `pending` jobs (in order) over `slots`.
    pub fn new(slots: Vec<Slot>, pending: impl IntoIterator<Item = usize>) -> Scheduler {
        Scheduler {
            slots,
            queue: pending.into_iter().collect(),
            attempts: HashMap::new(),
            lost_once: Default::default(),
            stopping: false,
        }
    }

    /// Jobs not yet handed out.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Jobs running now.
    pub fn in_flight(&self) -> usize {
        self.slots.iter().map(|s| s.in_flight).sum()
    }

    /// Stops handing out jobs (Ctrl-C, `--fail-fast`).
    pub fn stop(&mut self) {
        self.stopping = true;
    }

    /// Whether it stopped handing out jobs.
    pub fn stopping(&self) -> bool {
        self.stopping
    }

    /// The next job and the server it goes to: the least loaded server that is up, set up and
    /// has room. `None` when nothing can start now.
    pub fn assign(&mut self) -> Option<(usize, usize)> {
        if self.stopping || self.queue.is_empty() {
            return None;
        }
        let si = (0..self.slots.len())
            .filter(|&i| {
                let s = &self.slots[i];
                !s.is_down() && s.ready && s.in_flight < s.limit
            })
            .min_by(|&a, &b| self.slots[a].load().total_cmp(&self.slots[b].load()))?;
        let index = self.queue.pop_front()?;
        self.slots[si].in_flight += 1;
        Some((index, si))
    }

    /// A job came back from `slot`. A job whose server went away goes back to the front of the
    /// queue — at most [`MAX_ATTEMPTS`] tries in all, and only once for a server that forgot it
    /// (a restart), so no job runs twice for the same reason.
    pub fn finished(&mut self, index: usize, slot: usize, ended: Ended, now: Instant) -> Decision {
        let s = &mut self.slots[slot];
        s.in_flight = s.in_flight.saturating_sub(1);
        let tries = self.attempts.remove(&index).unwrap_or(0) + 1;
        let movable = match ended {
            Ended::Final => false,
            Ended::Unreachable => true,
            Ended::Lost => self.lost_once.insert(index),
            Ended::NeverRan => {
                self.queue.push_front(index);
                return Decision::Requeue;
            }
        };
        if movable && !self.stopping && tries < MAX_ATTEMPTS {
            if ended == Ended::Unreachable {
                self.mark_down(slot, now);
            }
            self.attempts.insert(index, tries);
            self.queue.push_front(index);
            return Decision::Requeue;
        }
        Decision::Record { attempt: tries }
    }

    /// Tries job `index` has used so far (0 until it was moved).
    pub fn tries(&self, index: usize) -> u32 {
        self.attempts.get(&index).copied().unwrap_or(0)
    }

    /// A job an earlier run left on `slot` is being looked after there (it takes a place).
    pub fn adopt(&mut self, slot: usize) {
        self.slots[slot].in_flight += 1;
    }

    /// Counts a recorded job for its server.
    pub fn count(&mut self, slot: usize, success: bool) {
        let s = &mut self.slots[slot];
        if success {
            s.done += 1;
        } else {
            s.failed += 1;
        }
    }

    /// The server did not answer; `true` when that is news (it was up).
    pub fn mark_down(&mut self, slot: usize, now: Instant) -> bool {
        let s = &mut self.slots[slot];
        if s.down_since.is_some() {
            return false;
        }
        s.down_since = Some(now);
        true
    }

    /// The server answers again (and is set up).
    pub fn mark_up(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        s.down_since = None;
        s.ready = true;
    }

    /// Whether a server that is down should be asked again: only while work is waiting.
    pub fn should_probe(&self) -> bool {
        !self.stopping && !self.queue.is_empty() && self.slots.iter().any(Slot::is_down)
    }

    /// Nothing runs and nothing more will start: the batch is over.
    pub fn is_over(&self) -> bool {
        self.in_flight() == 0 && (self.queue.is_empty() || self.stopping)
    }

    /// Work is waiting, nothing runs, and every server has been down for longer than `grace`:
    /// the jobs to fail. `None` while there is still hope.
    pub fn give_up(&mut self, grace: Duration, now: Instant) -> Option<Vec<usize>> {
        if self.in_flight() > 0 || self.queue.is_empty() || self.stopping {
            return None;
        }
        if self.slots.iter().any(|s| !s.is_down() && s.ready) {
            return None;
        }
        let latest = self.slots.iter().filter_map(|s| s.down_since).max()?;
        if now.saturating_duration_since(latest) <= grace {
            return None;
        }
        Some(self.queue.drain(..).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(limit: usize) -> Slot {
        Slot {
            ready: true,
            ..Slot::new(limit)
        }
    }

    #[test]
    fn the_least_loaded_server_with_room_gets_the_next_job() {
        let mut s = Scheduler::new(vec![ready(2), ready(1)], 0..5);
        let now = Instant::now();
        assert_eq!(s.assign(), Some((0, 0)));
        assert_eq!(s.assign(), Some((1, 1)), "server 1 is empty");
        assert_eq!(s.assign(), Some((2, 0)));
        assert_eq!(s.assign(), None, "both full");
        assert_eq!(
            s.finished(1, 1, Ended::Final, now),
            Decision::Record { attempt: 1 }
        );
        assert_eq!(s.assign(), Some((3, 1)));
        s.stop();
        assert_eq!(s.assign(), None, "stopped");
        assert!(!s.is_over(), "jobs still run");
    }

    #[test]
    fn a_job_whose_server_went_away_moves_at_most_three_times() {
        let mut s = Scheduler::new(vec![ready(1), ready(1)], [7]);
        let now = Instant::now();
        assert_eq!(s.assign(), Some((7, 0)));
        assert_eq!(s.finished(7, 0, Ended::Unreachable, now), Decision::Requeue);
        assert!(s.slots[0].is_down(), "the server is marked down");
        assert_eq!(s.assign(), Some((7, 1)), "the other server takes it");
        assert_eq!(s.finished(7, 1, Ended::Unreachable, now), Decision::Requeue);
        assert_eq!(s.assign(), None, "both down");
        s.mark_up(0);
        assert_eq!(s.assign(), Some((7, 0)));
        assert_eq!(
            s.finished(7, 0, Ended::Unreachable, now),
            Decision::Record { attempt: 3 }
        );
    }

    #[test]
    fn a_job_lost_to_a_restart_is_queued_again_once() {
        let mut s = Scheduler::new(vec![ready(1)], [4]);
        let now = Instant::now();
        s.assign();
        assert_eq!(s.finished(4, 0, Ended::Lost, now), Decision::Requeue);
        assert!(
            !s.slots[0].is_down(),
            "a restart that is over is not a down server"
        );
        s.assign();
        assert_eq!(
            s.finished(4, 0, Ended::Lost, now),
            Decision::Record { attempt: 2 },
            "never twice for the same reason"
        );
    }

    #[test]
    fn a_job_a_resume_found_no_trace_of_goes_again_without_using_a_try() {
        let mut s = Scheduler::new(vec![ready(1)], []);
        let now = Instant::now();
        s.adopt(0);
        assert_eq!(s.assign(), None, "the adopted job takes the place");
        assert_eq!(s.finished(9, 0, Ended::NeverRan, now), Decision::Requeue);
        assert_eq!(s.assign(), Some((9, 0)));
        assert_eq!(
            s.finished(9, 0, Ended::Final, now),
            Decision::Record { attempt: 1 }
        );
    }

    #[test]
    fn nothing_is_requeued_after_stop() {
        let mut s = Scheduler::new(vec![ready(1)], [1, 2]);
        let now = Instant::now();
        s.assign();
        s.stop();
        assert_eq!(
            s.finished(1, 0, Ended::Unreachable, now),
            Decision::Record { attempt: 1 }
        );
        assert!(s.is_over());
    }

    #[test]
    fn gives_up_only_when_every_server_has_been_down_past_the_grace() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(vec![ready(1), ready(1)], [1, 2]);
        s.mark_down(0, t0);
        assert_eq!(s.give_up(Duration::from_secs(30), t0), None, "one is up");
        s.mark_down(1, t0 + Duration::from_secs(10));
        assert_eq!(
            s.give_up(Duration::from_secs(30), t0 + Duration::from_secs(35)),
            None
        );
        assert!(s.should_probe());
        assert_eq!(
            s.give_up(Duration::from_secs(30), t0 + Duration::from_secs(41)),
            Some(vec![1, 2])
        );
        assert!(s.is_over());
    }

    #[test]
    fn a_server_down_from_the_start_gets_jobs_once_set_up() {
        let mut down = Slot::new(1);
        down.down_since = Some(Instant::now());
        let mut s = Scheduler::new(vec![down, ready(1)], [1, 2]);
        assert_eq!(s.assign(), Some((1, 1)));
        assert_eq!(s.assign(), None);
        s.mark_up(0);
        assert_eq!(s.assign(), Some((2, 0)));
    }
}
