using TorchSharp;
using static TorchSharp.torch;

namespace Granary.TorchSharp;

/// <summary>
/// Data-parallel training's two collectives over a whole model, as DistributedDataParallel does them: every
/// parameter's gradient in one flat buffer and one all-reduce (not one collective per parameter), and the
/// parameters broadcast from one rank so every rank starts from the same weights.
/// </summary>
public static class ModuleCollectives
{
    /// <summary>
    /// Replaces each parameter's gradient by its mean (or <paramref name="op"/>) over all ranks, in one
    /// all-reduce. Call it after <c>loss.backward()</c> and before <c>optimizer.step()</c>. Parameters without
    /// a gradient are left out on every rank alike (same model, same graph).
    /// </summary>
    public static async Task AllReduceGradientsAsync(this RankContext context, nn.Module module, ReduceOp op = ReduceOp.Mean, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(module);
        var gradients = module.parameters().Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (gradients.Count == 0)
        {
            return;
        }

        using var flat = Concatenate(gradients);
        await context.AllReduceAsync(flat, op, cancellationToken).ConfigureAwait(false);
        CopyBack(flat, gradients);
    }

    /// <summary>Gives every rank <paramref name="root"/>'s parameters (in one broadcast), so training starts from the same weights everywhere.</summary>
    public static async Task BroadcastParametersAsync(this RankContext context, nn.Module module, int root = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(module);
        var parameters = module.parameters().ToList();
        if (parameters.Count == 0)
        {
            return;
        }

        using var flat = Concatenate(parameters);
        await context.BroadcastAsync(flat, root, cancellationToken).ConfigureAwait(false);
        CopyBack(flat, parameters);
    }

    // Torch's grad mode and dispose scopes belong to a thread, and an await may resume on another one: so
    // neither is held across the collective, only inside these synchronous halves.
    private static Tensor Concatenate(IReadOnlyList<Tensor> tensors)
    {
        using var scope = torch.NewDisposeScope();
        return torch.cat(tensors.Select(t => t.detach().flatten().to(ScalarType.Float32)).ToList()).MoveToOuterDisposeScope();
    }

    private static void CopyBack(Tensor flat, IReadOnlyList<Tensor> tensors)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var offset = 0L;
        foreach (var tensor in tensors)
        {
            var count = tensor.numel();
            tensor.copy_(flat.narrow(0, offset, count).view_as(tensor));
            offset += count;
        }
    }
}
