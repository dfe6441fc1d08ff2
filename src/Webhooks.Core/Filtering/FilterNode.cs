using System.Text.Json;

namespace Webhooks.Core.Filtering;

/// <summary>A condition of a parsed filter.</summary>
internal abstract class FilterNode
{
    public abstract bool Matches(in WebhookFilterInput input);
}

/// <summary>Every condition holds: a filter object's keys, and <c>$and</c>.</summary>
internal sealed class AllNode(FilterNode[] conditions) : FilterNode
{
    public override bool Matches(in WebhookFilterInput input)
    {
        foreach (var c in conditions)
        {
            if (!c.Matches(input))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>At least one condition holds: <c>$or</c>.</summary>
internal sealed class AnyNode(FilterNode[] conditions) : FilterNode
{
    public override bool Matches(in WebhookFilterInput input)
    {
        foreach (var c in conditions)
        {
            if (c.Matches(input))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The condition does not hold: <c>$not</c>.</summary>
internal sealed class NotNode(FilterNode condition) : FilterNode
{
    public override bool Matches(in WebhookFilterInput input) => !condition.Matches(input);
}

/// <summary>The value at a path passes a test; the path is resolved once for all of the field's operators.</summary>
internal sealed class FieldNode(FilterPath path, FieldTest test) : FilterNode
{
    public override bool Matches(in WebhookFilterInput input) => test.Test(path.Resolve(input));
}

/// <summary>
/// A dotted path: <c>type</c>, <c>data</c> or <c>data.a.b</c>. A segment names an object's
/// property; a segment of digits also indexes an array (<c>data.items.0.sku</c>).
/// </summary>
internal sealed class FilterPath
{
    private readonly bool _isType;
    private readonly string[] _segments;
    private readonly int[] _indexes;

    public FilterPath(bool isType, string[] segments)
    {
        _isType = isType;
        _segments = segments;
        _indexes = [.. segments.Select(s => s.Length is > 0 and <= 9 && s.All(char.IsAsciiDigit) && (s.Length == 1 || s[0] != '0') ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : -1)];
    }

    /// <summary>The value at the path, or an undefined element when it is missing.</summary>
    public JsonElement Resolve(in WebhookFilterInput input)
    {
        if (_isType)
        {
            return input.Type;
        }

        var current = input.Data;
        for (int i = 0; i < _segments.Length; i++)
        {
            switch (current.ValueKind)
            {
                case JsonValueKind.Object when current.TryGetProperty(_segments[i], out var next):
                    current = next;
                    break;
                case JsonValueKind.Array when _indexes[i] >= 0 && _indexes[i] < current.GetArrayLength():
                    current = current[_indexes[i]];
                    break;
                default:
                    return default;
            }
        }

        return current;
    }
}
