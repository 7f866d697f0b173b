namespace Granary.Grains.Head.Placement;

/// <summary>
/// What a placement director sees of a node. Both places that choose a node see nodes this way, so each
/// strategy's choice is written once: the head's scheduler (a <see cref="NodeRecord"/>, busy by leased
/// resources) and the Orleans directors for user grains (a silo from its published metadata, busy by the
/// activations placed there).
/// </summary>
internal interface IPlacementNode
{
    string NodeId { get; }

    bool IsHead { get; }

    /// <summary>Join order: ties go to the earlier node.</summary>
    long Order { get; }

    /// <summary>How busy the node is, 0 (idle) upward; compared only between nodes of one kind.</summary>
    double Utilization { get; }

    /// <summary>When Spread last picked this node, so equals take turns.</summary>
    long SpreadTurn { get; set; }

    bool HasGpuType(string type);
}
