namespace Granary;

/// <summary>How <see cref="RankContext.AllReduceAsync{T}"/> combines the ranks' arrays, element by element.</summary>
public enum ReduceOp
{
    Sum,

    /// <summary>The sum divided by the world size (integer division for integer arrays, as torch does).</summary>
    Mean,

    Min,

    Max,
}
