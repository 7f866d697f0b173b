using System.Collections.Concurrent;
using Granary.Runtime.Code;

namespace Granary.Grains;

/// <summary>
/// The jobs whose code is loaded on this silo. A job's code unloads when the job has ended and no actor of
/// it (a detached one) still lives here. Thread-safe.
/// </summary>
/// <param name="objects">Creates each job's objects in this process; none where tasks do not run (tests).</param>
internal sealed class JobCodeRegistry(ICodeSource source, AssemblyBlobCache blobs, Func<JobCode, Runtime.Objects.ITaskObjects>? objects = null)
{
    private readonly ConcurrentDictionary<string, JobCode> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _actorsByJob = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _ended = new(StringComparer.Ordinal);

    public AssemblyBlobCache Blobs => blobs;

    public IReadOnlyCollection<string> LoadedJobs => (IReadOnlyCollection<string>)_jobs.Keys;

    /// <param name="detachedActor">
    /// A detached actor outlives its job, so one restarted on a node that already heard the job end may load
    /// the job's code again (the head keeps every job's code); the code unloads when that actor stops.
    /// </param>
    public ValueTask<JobCode> GetAsync(string jobId, int manifestVersion, CancellationToken cancellationToken, bool detachedActor = false)
    {
        // The common case, every call after a job's first: its code is here and current; no allocation.
        if (_jobs.TryGetValue(jobId, out var known) && known.Covers(manifestVersion))
        {
            return new ValueTask<JobCode>(known);
        }

        return GetSlowAsync(jobId, manifestVersion, detachedActor, cancellationToken);
    }

    private async ValueTask<JobCode> GetSlowAsync(string jobId, int manifestVersion, bool detachedActor, CancellationToken cancellationToken)
    {
        if (!detachedActor && _ended.ContainsKey(jobId) && !_jobs.ContainsKey(jobId))
        {
            throw new GranaryException($"Job {jobId} has ended; its work is no longer accepted on this node.");
        }

        var code = _jobs.GetOrAdd(jobId, static (id, state) => new JobCode(id, state.source, state.blobs, state.objects), (source, blobs, objects));
        await code.EnsureVersionAsync(manifestVersion, cancellationToken).ConfigureAwait(false);
        return code;
    }

    /// <summary>The job's manifest version here; 0 when its code is not loaded.</summary>
    public int ManifestVersion(string jobId) => _jobs.TryGetValue(jobId, out var code) ? code.ManifestVersion : 0;

    public void ActorStarted(string jobId) => _actorsByJob.AddOrUpdate(jobId, 1, (_, n) => n + 1);

    public WeakReference? ActorStopped(string jobId)
    {
        var left = _actorsByJob.AddOrUpdate(jobId, 0, (_, n) => Math.Max(0, n - 1));
        return left == 0 && _ended.ContainsKey(jobId) ? Unload(jobId) : null;
    }

    /// <summary>Marks the job ended; unloads its code now unless an actor of it still lives here.</summary>
    public WeakReference? JobEnded(string jobId)
    {
        _ended[jobId] = true;
        return _actorsByJob.TryGetValue(jobId, out var actors) && actors > 0 ? null : Unload(jobId);
    }

    private WeakReference? Unload(string jobId)
    {
        _actorsByJob.TryRemove(jobId, out _);
        return _jobs.TryRemove(jobId, out var code) ? code.Unload() : null;
    }
}
