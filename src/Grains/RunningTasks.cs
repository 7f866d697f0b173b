using System.Collections.Concurrent;

namespace Granary.Grains;

/// <summary>
/// The tasks running in this process (a silo, or a silo's worker process), by task id, so an owner's
/// cancel reaches the one it means. A cancel may arrive before its task does (Orleans does not order
/// calls, and a task may still be queued on its lease): it is kept, and the task is cancelled the moment
/// it starts, so it never runs. Kept cancels of tasks that never come are dropped after ten minutes.
/// Thread-safe.
/// </summary>
internal sealed class RunningTasks
{
    private const long KeepEarlyMs = 10 * 60 * 1000;
    private const int PruneAbove = 1024;

    private readonly ConcurrentDictionary<string, RunningTask> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long At, bool Force, bool Recursive)> _early = new(StringComparer.Ordinal);

    /// <summary>The task starts now; dispose the result when it has stopped. Already cancelled if a cancel came first.</summary>
    public RunningTask Start(string taskId, CancellationToken stopping)
    {
        var task = new RunningTask(taskId, this, stopping);
        _running[taskId] = task;
        if (!_early.IsEmpty && _early.TryRemove(taskId, out var early))
        {
            task.Cancel(early.Force, early.Recursive);
        }

        return task;
    }

    /// <summary>Cancels the task if it runs here, else keeps the cancel for when it starts. True when it was running.</summary>
    public bool Cancel(string taskId, bool force, bool recursive)
    {
        if (_running.TryGetValue(taskId, out var task))
        {
            task.Cancel(force, recursive);
            return true;
        }

        if (_early.Count > PruneAbove)
        {
            var now = Environment.TickCount64;
            foreach (var (id, kept) in _early)
            {
                if (now - kept.At > KeepEarlyMs)
                {
                    _early.TryRemove(id, out _);
                }
            }
        }

        _early[taskId] = (Environment.TickCount64, force, recursive);

        // It may have started between the two looks; Start looks at the kept cancels after registering.
        if (_running.TryGetValue(taskId, out task) && _early.TryRemove(taskId, out _))
        {
            task.Cancel(force, recursive);
            return true;
        }

        return false;
    }

    internal void Finished(RunningTask task) => _running.TryRemove(new KeyValuePair<string, RunningTask>(task.TaskId, task));
}
