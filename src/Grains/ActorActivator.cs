using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>Creates an actor activation on this silo from its spec: runs the constructor or factory in the job's code.</summary>
internal static class ActorActivator
{
    public static async Task<ActorActivation> ActivateAsync(SiloRuntime silo, ActivateActor request)
    {
        var spec = request.Spec;
        try
        {
            // The head grants slots of this node's GPUs; the actor holds, and reads, the devices themselves.
            var gpuIds = silo.Gpus.DeviceIndexes(request.GpuIds);
            var code = await silo.Jobs.GetAsync(spec.JobId, spec.ManifestVersion, silo.Stopping, detachedActor: spec.Lifetime == ActorLifetimeKind.ActorLifetimeDetached).ConfigureAwait(false);
            var factory = code.Resolve(spec.Factory);
            var arguments = await silo.Executor.ResolveArgumentsAsync(spec.Args, factory, code.Serializer, silo.Stopping).ConfigureAwait(false);
            var context = new TaskContext(silo.NodeId, spec.JobId, spec.ActorId, spec.ActorId, 0, gpuIds, code.Objects, silo.Clients, code.Environment, code.Settings.LogToDriver ? silo.Logs : null, code.JobId, spec.Factory.DisplayName);
            TaskContext.Current = context;
            object? instance;
            try
            {
                using (code.Context.EnterContextualReflection())
                {
                    instance = await factory.InvokeAsync(null, arguments).ConfigureAwait(false);
                }
            }
            finally
            {
                context.EndOutput();
            }

            TaskContext.Current = null;
            if (instance is null)
            {
                throw new InvalidOperationException($"{spec.Factory.DisplayName} returned null; an actor factory must return the actor instance.");
            }

            var activation = new ActorActivation(spec, code, instance, gpuIds, silo);
            silo.AddActor(activation);
            return activation;
        }
        catch (Exception ex)
        {
            // Reported under the factory's name, as a task's failure is under its method's.
            throw new ErrorInfoException(ErrorConverter.FromException(ex, silo.NodeId, spec.Factory.DisplayName));
        }
    }
}
