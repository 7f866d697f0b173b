using Google.Protobuf;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>
/// The head's part of multi-rank launches: named gatherings (the rendezvous, barriers, all-gathers of small
/// values) that answer every rank with all payloads once the last rank arrived, or fail them all naming the
/// missing ranks when the timeout passes after the first arrival; and each launch's completion marker. A
/// launch's state goes when its client ends it or its job finishes. Thread-safe (timers fire off the grain).
/// </summary>
internal sealed class LaunchRendezvous
{
    private readonly Dictionary<string, Launch> _launches = new(StringComparer.Ordinal);

    /// <summary>Launches with state here now (tests).</summary>
    public int Count
    {
        get
        {
            lock (_launches)
            {
                return _launches.Count;
            }
        }
    }

    public Task<LaunchGathered> GatherAsync(LaunchGather gather, CancellationToken cancellationToken)
    {
        if (gather.WorldSize < 1 || gather.Rank < 0 || gather.Rank >= gather.WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(gather), $"Rank {gather.Rank} is outside a world of {gather.WorldSize} in launch {gather.LaunchId}.");
        }

        Gathering gathering;
        lock (_launches)
        {
            var launch = LaunchFor(gather.LaunchId, gather.JobId, gather.WorldSize);
            if (launch.Completion.Task.IsCompleted && !launch.Completion.Task.Result.Succeeded)
            {
                throw new GranaryException($"Launch {gather.LaunchId} has ended ({launch.Completion.Task.Result.Error}); rank {gather.Rank} cannot join '{gather.Key}'.");
            }

            if (!launch.Gatherings.TryGetValue(gather.Key, out gathering!))
            {
                gathering = new Gathering(gather.WorldSize);
                launch.Gatherings[gather.Key] = gathering;
                var launchId = gather.LaunchId;
                var key = gather.Key;
                var timeout = TimeSpan.FromMilliseconds(Math.Max(1, gather.TimeoutMs));
                gathering.Timer = new Timer(_ => Expire(launchId, key, timeout), null, timeout, Timeout.InfiniteTimeSpan);
            }

            if (gathering.Payloads[gather.Rank] is not null)
            {
                throw new InvalidOperationException($"Rank {gather.Rank} joined '{gather.Key}' of launch {gather.LaunchId} twice.");
            }

            gathering.Payloads[gather.Rank] = gather.Payload;
            if (++gathering.Arrived == gathering.Payloads.Length)
            {
                launch.Gatherings.Remove(gather.Key);
                gathering.Timer?.Dispose();
                var all = new LaunchGathered();
                all.Payloads.AddRange(gathering.Payloads!);
                gathering.Done.TrySetResult(all);
            }
        }

        return gathering.Done.Task.WaitAsync(cancellationToken);
    }

    public void Complete(LaunchCompletion completion)
    {
        lock (_launches)
        {
            var launch = LaunchFor(completion.LaunchId, jobId: string.Empty, worldSize: 0);
            launch.Completion.TrySetResult(completion);
            if (!completion.Succeeded)
            {
                FailGatherings(launch, $"Launch {completion.LaunchId} failed: {completion.Error}");
            }
        }
    }

    public Task<LaunchCompletion> AwaitCompletionAsync(string launchId, CancellationToken cancellationToken)
    {
        lock (_launches)
        {
            return LaunchFor(launchId, jobId: string.Empty, worldSize: 0).Completion.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The launch's client is done with it: ranks still waiting fail, a missing marker becomes "ended".</summary>
    public void End(string launchId)
    {
        lock (_launches)
        {
            if (_launches.Remove(launchId, out var launch))
            {
                launch.Completion.TrySetResult(new LaunchCompletion { LaunchId = launchId, Succeeded = false, Error = "the launch ended before rank 0 wrote its completion marker" });
                FailGatherings(launch, $"Launch {launchId} has ended");
            }
        }
    }

    public void JobFinished(string jobId)
    {
        List<string> ended;
        lock (_launches)
        {
            ended = _launches.Where(l => l.Value.JobId == jobId).Select(l => l.Key).ToList();
        }

        foreach (var launchId in ended)
        {
            End(launchId);
        }
    }

    private Launch LaunchFor(string launchId, string jobId, int worldSize)
    {
        if (!_launches.TryGetValue(launchId, out var launch))
        {
            launch = new Launch(jobId);
            _launches[launchId] = launch;
        }
        else if (launch.JobId.Length == 0 && jobId.Length > 0)
        {
            launch.JobId = jobId;
        }

        return launch;
    }

    private void Expire(string launchId, string key, TimeSpan timeout)
    {
        lock (_launches)
        {
            if (!_launches.TryGetValue(launchId, out var launch) || !launch.Gatherings.Remove(key, out var gathering))
            {
                return;
            }

            gathering.Timer?.Dispose();
            var missing = Enumerable.Range(0, gathering.Payloads.Length).Where(r => gathering.Payloads[r] is null).ToList();
            gathering.Done.TrySetException(new RendezvousTimeoutException(
                $"Rank{(missing.Count == 1 ? string.Empty : "s")} {string.Join(", ", missing)} of launch {launchId} did not reach {Display(key)} within {timeout.TotalSeconds:0.###} s " +
                $"({gathering.Arrived} of {gathering.Payloads.Length} arrived). Raise DistributedOptions.{(key.StartsWith("rendezvous", StringComparison.Ordinal) ? "RendezvousTimeout" : "CollectiveTimeout")} if ranks start or work slowly."));
        }
    }

    private static void FailGatherings(Launch launch, string reason)
    {
        foreach (var gathering in launch.Gatherings.Values)
        {
            gathering.Timer?.Dispose();
            gathering.Done.TrySetException(new GranaryException(reason + "."));
        }

        launch.Gatherings.Clear();
    }

    // Keys are "<kind>:<name>#<n>", the n-th gathering of that name: users know the kind and the name.
    private static string Display(string key)
    {
        var name = key.Split('#')[0];
        return name.StartsWith("barrier:", StringComparison.Ordinal) ? $"barrier '{name["barrier:".Length..]}'"
            : name == "objects" ? "AllGatherObjectAsync"
            : name == "rendezvous" ? "the rendezvous"
            : $"'{name}'";
    }

    private sealed class Launch(string jobId)
    {
        public string JobId { get; set; } = jobId;

        public Dictionary<string, Gathering> Gatherings { get; } = new(StringComparer.Ordinal);

        public TaskCompletionSource<LaunchCompletion> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Gathering(int worldSize)
    {
        public ByteString?[] Payloads { get; } = new ByteString?[worldSize];

        public int Arrived { get; set; }

        public Timer? Timer { get; set; }

        public TaskCompletionSource<LaunchGathered> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
