using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Granary.Runtime.Code;
using Granary.Runtime.Wire;

namespace Granary.Client.Calls;

/// <summary>
/// Reads a call expression such as <c>() =&gt; Jobs.Square(x)</c>: which method, and for each argument
/// whether it is a value known here, an ObjectRef to resolve remotely, or a lambda parameter. Captured
/// values are read straight from the closure instead of compiling the expression. Thread-safe.
/// </summary>
internal static class CallParser
{
    private static readonly ConcurrentDictionary<MethodBase, (MethodRef Reference, Type[] Parameters)> _methods = new();

    /// <summary>A static method call (Remote, Map, StarMap, Enqueue).</summary>
    public static ParsedCall ParseStatic(LambdaExpression lambda)
    {
        var body = StripConvert(lambda.Body);
        if (body is not MethodCallExpression call)
        {
            throw new ArgumentException($"Remote(...) takes a call to a static method, such as () => MyJobs.Square(4); got '{lambda.Body}'.", nameof(lambda));
        }

        if (call.Object is not null)
        {
            throw new ArgumentException($"{call.Method.DeclaringType?.Name}.{call.Method.Name} is an instance method. Remote(...) runs static methods; for state that lives on, create an actor and use handle.Call(a => a.{call.Method.Name}(...)).", nameof(lambda));
        }

        return Build(call.Method, call.Arguments, lambda.Parameters);
    }

    /// <summary>A call on the actor instance: the lambda's single parameter must be the target.</summary>
    public static ParsedCall ParseActorCall(LambdaExpression lambda)
    {
        var body = StripConvert(lambda.Body);
        if (body is not MethodCallExpression call || call.Object != lambda.Parameters[0])
        {
            throw new ArgumentException($"Call(...) takes a call to a method of the actor, such as a => a.Add(5); got '{lambda.Body}'.", nameof(lambda));
        }

        return Build(call.Method, call.Arguments, []);
    }

    /// <summary>An actor factory: <c>() =&gt; new Counter(0)</c> or a static method returning the actor.</summary>
    public static ParsedCall ParseFactory(LambdaExpression lambda)
    {
        return StripConvert(lambda.Body) switch
        {
            NewExpression created when created.Constructor is not null => Build(created.Constructor, created.Arguments, []),
            MethodCallExpression { Object: null } call => Build(call.Method, call.Arguments, []),
            _ => throw new ArgumentException($"CreateActorAsync(...) takes a constructor call such as () => new Counter(0), or a static factory method; got '{lambda.Body}'.", nameof(lambda)),
        };
    }

    private static ParsedCall Build(MethodBase method, IReadOnlyList<Expression> arguments, IReadOnlyList<ParameterExpression> parameters)
    {
        var (reference, parameterTypes) = _methods.GetOrAdd(method, static m =>
        {
            foreach (var parameter in m.GetParameters())
            {
                if (parameter.ParameterType.IsByRef || parameter.IsOut)
                {
                    throw new ArgumentException($"{m.DeclaringType?.Name}.{m.Name} has a ref/out parameter '{parameter.Name}'; remote calls pass values only.");
                }
            }

            return (MethodRefs.From(m), m.GetParameters().Select(p => p.ParameterType).ToArray());
        });
        var sources = new ArgumentSource[arguments.Count];
        for (var i = 0; i < sources.Length; i++)
        {
            sources[i] = Source(arguments[i], parameters);
        }

        return new ParsedCall(method, reference, parameterTypes, sources);
    }

    private static ArgumentSource Source(Expression argument, IReadOnlyList<ParameterExpression> parameters)
    {
        if (argument is UnaryExpression { NodeType: ExpressionType.Convert, Method: { Name: "op_Implicit" } conversion } unary
            && conversion.DeclaringType is { IsGenericType: true } declaring
            && declaring.GetGenericTypeDefinition() == typeof(ObjectRef<>))
        {
            if (unary.Operand is ParameterExpression refParameter && parameters.Contains(refParameter))
            {
                return new ArgumentSource.ParameterReference(IndexOf(parameters, refParameter));
            }

            var reference = (ObjectRef?)Evaluate(unary.Operand, parameters, out var dependsOnParameters)
                ?? throw new ArgumentException($"The ObjectRef passed as '{unary.Operand}' is null.");
            if (dependsOnParameters)
            {
                throw new ArgumentException($"'{unary.Operand}' picks an ObjectRef per item; pass the refs themselves as the items instead.");
            }

            return new ArgumentSource.Reference(reference.Entry);
        }

        if (argument is ParameterExpression parameter && parameters.Contains(parameter))
        {
            return new ArgumentSource.Parameter(IndexOf(parameters, parameter));
        }

        if (parameters.Count > 0 && ParameterFinder.Uses(argument, parameters))
        {
            var values = Expression.Parameter(typeof(object[]), "values");
            var bound = new ParameterBinder(parameters, values).Visit(argument);
            var evaluate = Expression.Lambda<Func<object?[], object?>>(Expression.Convert(bound, typeof(object)), values).Compile();
            return new ArgumentSource.Computed(evaluate);
        }

        // A ref passed where the method takes an ObjectRef travels as a ref (the method awaits it there).
        return new ArgumentSource.Known(Evaluate(argument, parameters, out _));
    }

    /// <summary>Evaluates an argument without compiling when it is a constant or a captured variable.</summary>
    private static object? Evaluate(Expression expression, IReadOnlyList<ParameterExpression> parameters, out bool dependsOnParameters)
    {
        dependsOnParameters = parameters.Count > 0 && ParameterFinder.Uses(expression, parameters);
        switch (expression)
        {
            case ConstantExpression constant:
                return constant.Value;
            case MemberExpression { Member: FieldInfo field, Expression: null }:
                return field.GetValue(null);
            case MemberExpression { Member: FieldInfo field, Expression: ConstantExpression closure }:
                return field.GetValue(closure.Value);
            case MemberExpression { Member: PropertyInfo property, Expression: null }:
                return property.GetValue(null);
            default:
                if (dependsOnParameters)
                {
                    return null;
                }

                return Expression.Lambda<Func<object?>>(Expression.Convert(expression, typeof(object))).Compile(preferInterpretation: true)();
        }
    }

    private static int IndexOf(IReadOnlyList<ParameterExpression> parameters, ParameterExpression parameter)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i] == parameter)
            {
                return i;
            }
        }

        return -1;
    }

    private static Expression StripConvert(Expression body) =>
        body is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked, Method: null } convert ? StripConvert(convert.Operand) : body;

    private sealed class ParameterFinder(IReadOnlyList<ParameterExpression> parameters) : ExpressionVisitor
    {
        private bool _found;

        public static bool Uses(Expression expression, IReadOnlyList<ParameterExpression> parameters)
        {
            var finder = new ParameterFinder(parameters);
            finder.Visit(expression);
            return finder._found;
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            _found |= parameters.Contains(node);
            return node;
        }
    }

    private sealed class ParameterBinder(IReadOnlyList<ParameterExpression> parameters, ParameterExpression values) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node)
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                if (parameters[i] == node)
                {
                    return Expression.Convert(Expression.ArrayIndex(values, Expression.Constant(i)), node.Type);
                }
            }

            return node;
        }
    }
}
