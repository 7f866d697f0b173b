using Granary.Runtime.Grains;
using Granary.Runtime.Wire;

namespace Granary.Silo;

/// <summary>
/// Reads a submitted job's output from the head, where it lives (`granary submit`, `granary job logs`):
/// what the head holds now, or with follow every line until the job ends. Lines the head no longer keeps are
/// said to be dropped, with their count. Stateless, thread-safe.
/// </summary>
internal static class JobLogs
{
    /// <summary>How long one read waits at the head for a new line before asking again.</summary>
    private const int WaitMs = 5000;

    /// <summary>Prints the lines to stdout; returns the job's record as of the last read.</summary>
    public static async Task<SubmissionInfo> PrintAsync(IHeadGrain head, string id, bool follow, CancellationToken cancellationToken)
    {
        long next = 0;
        while (true)
        {
            var logs = await head.ReadSubmissionLogs(new ReadSubmissionLogs { SubmissionId = id, FromIndex = next, WaitMs = follow ? WaitMs : 0 }, cancellationToken).ConfigureAwait(false);
            if (logs.Dropped > 0)
            {
                Console.WriteLine($"[granary] {logs.Dropped} earlier lines dropped (the head keeps the last {GranaryDefaults.SubmissionLogLines})");
            }

            foreach (var line in logs.Lines)
            {
                Console.WriteLine(line);
            }

            next = logs.NextIndex;
            // Lines come before the exit, so an ended job with nothing more to read is done.
            if (logs.Lines.Count == 0 && (!follow || JobText.IsEnded(logs.Info.State)))
            {
                return logs.Info;
            }
        }
    }
}
