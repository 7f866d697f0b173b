using System.Linq.Expressions;
using Granary.Client.Calls;

namespace Granary.Client.Pools;

/// <summary>
/// Turns MapBatches' <c>(model, rows) =&gt; model.Predict(rows)</c> into the actor call for one batch,
/// <c>model =&gt; model.Predict(batch)</c>: the rows parameter is replaced by a constant holding the batch, which
/// <see cref="CallParser"/> reads as a known argument and the call serializes with the call.
/// </summary>
internal static class BatchCall
{
    public static Expression<TCall> Bind<TCall, TRow>(LambdaExpression predict, TRow[] rows)
    {
        var body = new Substitution(predict.Parameters[1], Expression.Constant(rows, typeof(TRow[]))).Visit(predict.Body);
        return Expression.Lambda<TCall>(body, predict.Parameters[0]);
    }

    /// <summary>Fails now, naming the fix, when <paramref name="predict"/> is not a call of a method of the model.</summary>
    public static void Check<TRow>(LambdaExpression predict)
    {
        ArgumentNullException.ThrowIfNull(predict);
        var probe = new Substitution(predict.Parameters[1], Expression.Constant(Array.Empty<TRow>(), typeof(TRow[]))).Visit(predict.Body);
        try
        {
            CallParser.ParseActorCall(Expression.Lambda(probe, predict.Parameters[0]));
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException(
                $"MapBatches' predict must call a method of the model with the batch, such as (model, rows) => model.Predict(rows); got '{predict}'. {ex.Message}",
                nameof(predict),
                ex);
        }
    }

    private sealed class Substitution(ParameterExpression parameter, Expression replacement) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == parameter ? replacement : node;
    }
}
