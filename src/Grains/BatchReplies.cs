using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>The grains' side of a batch (PushTasks, CallMany): start each item in order, answer once with every reply in that order.</summary>
internal static class BatchReplies
{
    public static async Task<TaskReplies> RunAllAsync<T>(IReadOnlyList<T> items, Func<T, Task<TaskReply>> run)
    {
        var running = new Task<TaskReply>[items.Count];
        for (var i = 0; i < running.Length; i++)
        {
            running[i] = run(items[i]);
        }

        var replies = new TaskReplies();
        replies.Replies.AddRange(await Task.WhenAll(running).ConfigureAwait(false));
        return replies;
    }
}
