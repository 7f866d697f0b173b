namespace Granary.Client.Tests;

public sealed class Counter(int start)
{
    private int _value = start;

    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public int Add(int amount) => _value += amount;

    public int Value() => _value;

    public async Task<int> AddLater(int amount)
    {
        await Task.Delay(1);
        return _value += amount;
    }

    public string Instance() => InstanceId;

    public string Node() => TaskContext.Current!.NodeId;
}

public sealed class Recorder
{
    private readonly List<int> _seen = [];

    public void Record(int value) => _seen.Add(value);

    public List<int> Seen() => [.. _seen];
}

/// <summary>Measures how many calls overlap, to observe MaxConcurrency.</summary>
public sealed class Overlap
{
    private int _running;
    private int _peak;

    public async Task<int> Work(int millis)
    {
        var now = Interlocked.Increment(ref _running);
        InterlockedMax(ref _peak, now);
        await Task.Delay(millis);
        Interlocked.Decrement(ref _running);
        return now;
    }

    /// <summary>
    /// The blocking twin of <see cref="WorkTogether"/>: holds its thread (no await) until <paramref name="parties"/>
    /// calls have been running at once, bounded; returns the peak it saw.
    /// </summary>
    public int BlockTogether(int parties, int boundMillis)
    {
        Interlocked.Increment(ref _running);
        InterlockedMax(ref _peak, Volatile.Read(ref _running));
        try
        {
            var until = Environment.TickCount64 + boundMillis;
            while (Volatile.Read(ref _peak) < parties && Environment.TickCount64 < until)
            {
                Thread.Sleep(5);
            }

            return Volatile.Read(ref _peak);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    /// <summary>
    /// Runs until <paramref name="parties"/> calls have been running at once (bounded), so the peak is reached by
    /// the calls themselves instead of by how long a delay happens to be.
    /// </summary>
    public async Task<int> WorkTogether(int parties)
    {
        var now = Interlocked.Increment(ref _running);
        InterlockedMax(ref _peak, now);
        try
        {
            var until = Environment.TickCount64 + 20_000;
            while (Volatile.Read(ref _peak) < parties)
            {
                if (Environment.TickCount64 > until)
                {
                    throw new TimeoutException($"only {Volatile.Read(ref _peak)} of {parties} calls ever ran at once");
                }

                await Task.Delay(5);
            }

            return now;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public int Peak() => Volatile.Read(ref _peak);

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

public sealed class Faulty
{
    public Faulty(bool fail)
    {
        if (fail)
        {
            throw new ArgumentException("constructor refused");
        }
    }

    public int Boom() => throw new NotSupportedException("boom from actor");

    public int Ok() => 1;
}

/// <summary>Calls that wait for a later call of the same handle (<see cref="Open"/>), to show batching never holds that later call back for good.</summary>
public sealed class Gate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Ping() => 1;

    public async Task<int> WaitOpen()
    {
        // Bounded, so a regression fails the test instead of leaving the actor busy.
        await _open.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return 2;
    }

    public int Open()
    {
        _open.TrySetResult();
        return 3;
    }
}

/// <summary>An actor whose constructor runs until its folder has "release", and that marks its start and its disposal there.</summary>
public sealed class SlowStart : IDisposable
{
    private readonly string _folder;

    public SlowStart(string folder)
    {
        _folder = folder;
        File.WriteAllText(Path.Combine(folder, "started." + TaskContext.Current!.ActorId), string.Empty);
        var until = Environment.TickCount64 + 20_000;
        while (!File.Exists(Path.Combine(folder, "release")) && Environment.TickCount64 < until)
        {
            Thread.Sleep(5);
        }
    }

    public int Ping() => 1;

    public void Dispose() => File.WriteAllText(Path.Combine(_folder, "disposed"), string.Empty);
}

/// <summary>Reports the GPUs it was given, as its constructor and its calls see them.</summary>
public sealed class GpuHolder
{
    private readonly int[] _atStart = [.. TaskContext.Current!.GpuIds];

    public int[] GpusAtStart() => _atStart;

    public int[] Gpus() => [.. TaskContext.Current!.GpuIds];
}
