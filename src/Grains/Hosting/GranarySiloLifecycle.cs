using Orleans;
using Orleans.Runtime;

namespace Granary.Grains.Hosting;

/// <summary>
/// Starts Granary's side of a silo once Orleans has joined the cluster (the Active stage): the head
/// restores its tables, the node registers and starts reporting its load. Stopping runs first among the
/// silo's stages, while calls still flow: the node drains its work, leaves the head's view, and stops.
/// </summary>
internal sealed class GranarySiloLifecycle(SiloRuntime runtime, IGrainFactory grains, IClusterClient clusterClient, IClusterMembershipService membership, ILocalSiloDetails local)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(GranarySiloLifecycle), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        var gateway = local.GatewayAddress?.Endpoint ?? local.SiloAddress.Endpoint;
        var silo = local.SiloAddress.Endpoint;
        return runtime.StartAsync(grains, clusterClient, membership, $"{gateway.Address}:{gateway.Port}", $"{silo.Address}:{silo.Port}", local.SiloAddress.Generation, cancellationToken);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!runtime.Killed)
        {
            await runtime.DrainAsync(cancellationToken).ConfigureAwait(false);
        }

        await runtime.DisposeAsync().ConfigureAwait(false);
    }
}
