namespace Granary.Client.Tests;

/// <summary>Tasks that reach named actors through their in-cluster client, which takes its job's namespace.</summary>
public static class NamespaceJobs
{
    public static async Task<int> AddThroughName(string name, int amount)
    {
        var counter = await TaskContext.Current!.Client.GetActorAsync<Counter>(name);
        return await counter.Call(c => c.Add(amount));
    }

    public static async Task<string> CreateNamed(string name)
    {
        var counter = await TaskContext.Current!.Client.CreateActorAsync(() => new Counter(1000), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached });
        return counter.Id;
    }
}
