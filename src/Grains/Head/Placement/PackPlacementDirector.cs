using Granary.Runtime.Wire;

namespace Granary.Grains.Head.Placement;

/// <summary>Busiest worker that fits first, so nodes fill one by one; the head last; ties by join order.</summary>
internal sealed class PackPlacementDirector : IPlacementDirector
{
    public IEnumerable<TNode> Eligible<TNode>(IEnumerable<TNode> nodes, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode => nodes;

    public string NoEligibleReason(Runtime.Wire.Placement placement) => "no node is alive";

    public TNode Choose<TNode>(IReadOnlyList<TNode> fitting, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode => Busiest(fitting);

    public static TNode Busiest<TNode>(IReadOnlyList<TNode> fitting)
        where TNode : IPlacementNode
    {
        var best = fitting[0];
        var bestScore = Score(best);
        for (var i = 1; i < fitting.Count; i++)
        {
            var score = Score(fitting[i]);
            if (score > bestScore || (score == bestScore && fitting[i].Order < best.Order))
            {
                best = fitting[i];
                bestScore = score;
            }
        }

        return best;
    }

    private static double Score(IPlacementNode node) => node.Utilization - (node.IsHead ? 10 : 0);
}
