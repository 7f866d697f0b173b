namespace Granary.Client.Tests;

/// <summary>Tasks whose large results live on a node, each run recorded in a ledger, for lineage reconstruction.</summary>
public static class LineageJobs
{
    /// <summary>0, 1, 2, ... as doubles: large enough to be stored on the node, not sent inline.</summary>
    public static double[] Produce(string ledger, int index, int length)
    {
        ExecutionLedger.Record(ledger, index);
        return [.. Enumerable.Range(0, length).Select(i => (double)i)];
    }

    public static double[] Scale(string ledger, int index, double[] input, double factor)
    {
        ExecutionLedger.Record(ledger, index);
        return [.. input.Select(v => v * factor)];
    }
}
