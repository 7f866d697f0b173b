using System.Net;
using System.Net.Sockets;
using Granary.Runtime.Launch;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;
using Orleans;

namespace Granary.Grains;

/// <summary>
/// What a node does before running a rank of a multi-rank launch: rank 0 finds a free port on its host for
/// MASTER_PORT, every rank meets the others at the head's rendezvous, and torchrun's variables go into the
/// environment of the rank's worker process (a rank with a GPU has a process of its own).
/// </summary>
internal static class LaunchJoin
{
    public const string RendezvousKey = "rendezvous#0";

    public static async Task<RankContext> JoinAsync(IGrainFactory grains, string nodeId, TaskSpec spec, IReadOnlyList<int> gpuIds, ValueSerializer serializer, CancellationToken cancellationToken)
    {
        var launch = spec.Launch;
        var link = launch.DirectLinks && launch.WorldSize > 1 ? new RankLink() : null;
        var channel = new LaunchChannel(grains, spec.JobId, launch, link);
        RankContext context;
        try
        {
            // Every rank publishes its link's port; rank 0 also the free port it found for MASTER_PORT.
            var payload = new byte[8];
            BitConverter.TryWriteBytes(payload, launch.Rank == 0 ? FreePort() : 0);
            BitConverter.TryWriteBytes(payload.AsSpan(4), link?.Port ?? 0);
            var all = await channel.GatherAsync(RendezvousKey, payload, TimeSpan.FromMilliseconds(launch.RendezvousTimeoutMs), cancellationToken).ConfigureAwait(false);
            if (link is not null)
            {
                var next = (launch.Rank + 1) % launch.WorldSize;
                link.Next = (HostOf(launch.Bundles[next].Address), BitConverter.ToInt32(all[next], 4));
            }

            context = new RankContext(launch, BitConverter.ToInt32(all[0]), nodeId, gpuIds, channel, serializer) { Link = link };
        }
        catch
        {
            link?.Dispose();
            throw;
        }

        if (spec.ProcessIsolation)
        {
            // In a silo (a Ray-launch's waiting ranks run there) the process is everyone's: the context has them.
            foreach (var (name, value) in context.Environment)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        return context;
    }

    /// <summary>The host part of a node's "host:port" address (MASTER_ADDR, and where a rank's link connects).</summary>
    public static string HostOf(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 ? address[..colon] : address;
    }

    // torchrun's master port: free now on this host. A library that opens its own process group binds it next.
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
