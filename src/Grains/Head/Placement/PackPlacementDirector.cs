using Granary.Runtime.Wire;

namespace Granary.Grains.Head.Placement;

/// <summary>Busiest worker that fits first, so nodes fill one by one; the head last; ties by join order.</summary>
internal sealed class PackPlacementDirector : IPlacementDirector
{
    public IEnumerable<NodeRecord> Eligible(IEnumerable<NodeRecord> nodes, Runtime.Wire.Placement placement) => nodes;

    public string NoEligibleReason(Runtime.Wire.Placement placement) => "no node is alive";

    public NodeRecord Choose(IReadOnlyList<NodeRecord> fitting, Runtime.Wire.Placement placement) => Busiest(fitting);

    public static NodeRecord Busiest(IReadOnlyList<NodeRecord> fitting)
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

    private static double Score(NodeRecord node) => node.Available.Utilization(node.Total) - (node.Info.IsHead ? 10 : 0);
}
