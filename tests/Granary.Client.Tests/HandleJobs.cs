namespace Granary.Client.Tests;

/// <summary>A record that carries an actor handle as a field.</summary>
public sealed record CounterBox(string Label, ActorHandle<Counter> Counter);

/// <summary>Tasks that receive actor handles as values and call the actor through them.</summary>
public static class HandleJobs
{
    public static async Task<int> AddThrough(ActorHandle<Counter> counter, int amount) => await counter.Call(c => c.Add(amount));

    public static async Task<string> AddThroughBox(CounterBox box, int amount) => box.Label + "=" + await box.Counter.Call(c => c.Add(amount));

    public static async Task<int> AddThroughEach(List<ActorHandle<Counter>> counters, int amount)
    {
        var last = 0;
        foreach (var counter in counters)
        {
            last = await counter.Call(c => c.Add(amount));
        }

        return last;
    }

    /// <summary>Sends <paramref name="count"/> calls through the handle without awaiting between them; returns what each saw.</summary>
    public static async Task<int[]> AddOneEach(ActorHandle<Counter> counter, int count)
    {
        var calls = Enumerable.Range(0, count).Select(_ => counter.Call(c => c.Add(1))).ToList();
        var seen = new int[count];
        for (var i = 0; i < count; i++)
        {
            seen[i] = await calls[i];
        }

        return seen;
    }

    /// <summary>Creates an actor from inside a task and hands it to the caller.</summary>
    public static Task<ActorHandle<Counter>> CreateCounter(int start) => TaskContext.Current!.Client.CreateActorAsync(() => new Counter(start));
}

/// <summary>An actor that calls another actor through a handle it was given.</summary>
public sealed class Relay
{
    public async Task<int> Forward(ActorHandle<Counter> counter, int amount) => await counter.Call(c => c.Add(amount));
}
