using Granary.Runtime.Grains;
using Granary.Runtime.Serialization;
using Orleans;
using Orleans.Runtime;

namespace Granary.Grains.Hosting;

/// <summary>
/// Grain side of <see cref="GranaryFault"/>: an exception thrown by one of Granary's grains leaves as its
/// wire form, so type, message, stack and node survive the trip whatever the exception type. Other grains
/// in the silo (a user's own) are left alone. Thread-safe.
/// </summary>
internal sealed class FaultWrappingFilter(ILocalSiloDetails local) : IIncomingGrainCallFilter
{
    private static readonly System.Reflection.Assembly Contracts = typeof(IHeadGrain).Assembly;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType?.Assembly != Contracts)
        {
            await context.Invoke().ConfigureAwait(false);
            return;
        }

        try
        {
            await context.Invoke().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not GranaryFault and not OperationCanceledException)
        {
            throw new GranaryFault(ErrorConverter.FromException(ex, local.Name, context.MethodName));
        }
    }
}
