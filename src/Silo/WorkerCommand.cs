using Granary.Grains.Workers;
using Microsoft.Extensions.Logging;

namespace Granary.Silo;

/// <summary>`granary worker --silo host:port --worker-id ID --node-id ID --parent-pid PID [--cluster-id ID] [--inline-threshold BYTES]`: a silo's worker process (started by the silo, not by hand).</summary>
internal static class WorkerCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? silo = null, workerId = null, nodeId = null;
        var clusterId = GranaryDefaults.ClusterId;
        var parentPid = 0;
        var inlineThreshold = 100 * 1024;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--silo":
                    silo = Next();
                    break;
                case "--worker-id":
                    workerId = Next();
                    break;
                case "--node-id":
                    nodeId = Next();
                    break;
                case "--cluster-id":
                    clusterId = Next();
                    break;
                case "--parent-pid":
                    parentPid = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--inline-threshold":
                    inlineThreshold = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"unknown flag '{flag}' for 'granary worker' (silos start workers themselves)");
            }
        }

        if (silo is null || workerId is null || nodeId is null || parentPid == 0)
        {
            throw new ArgumentException("granary worker needs --silo, --worker-id, --node-id and --parent-pid (silos start workers themselves)");
        }

        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var worker = new WorkerRuntime(silo, workerId, nodeId, inlineThreshold);
        await worker.RunAsync(clusterId, parentPid, loggerFactory, CancellationToken.None).ConfigureAwait(false);
        return 0;
    }
}
