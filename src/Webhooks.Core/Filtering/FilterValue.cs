using System.Text.Json;

namespace Webhooks.Core.Filtering;

/// <summary>
/// An operand of a filter (a string, number, <c>true</c>, <c>false</c> or <c>null</c>), read out of
/// the filter's JSON once so evaluating it allocates nothing. Numbers compare by value (<c>1</c>
/// equals <c>1.0</c>), as decimals when both sides fit one, else as doubles; strings compare ordinally.
/// </summary>
internal readonly struct FilterValue
{
    private FilterValue(JsonValueKind kind, string? text, double number, decimal? exact)
    {
        Kind = kind;
        Text = text;
        Number = number;
        Exact = exact;
    }

    public JsonValueKind Kind { get; }

    public string? Text { get; }

    public double Number { get; }

    public decimal? Exact { get; }

    /// <summary>Reads a scalar the parser has checked (finite number, string, boolean or null).</summary>
    public static FilterValue From(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => new(JsonValueKind.String, e.GetString(), 0, null),
        JsonValueKind.Number => new(JsonValueKind.Number, null, e.GetDouble(), e.TryGetDecimal(out var d) ? d : null),
        _ => new(e.ValueKind, null, 0, null),
    };

    /// <summary>Whether a scalar value equals this one (same JSON kind and value).</summary>
    public bool EqualTo(JsonElement value) => Kind switch
    {
        JsonValueKind.String => value.ValueKind == JsonValueKind.String && value.ValueEquals(Text),
        JsonValueKind.Number => TryCompare(value, out var c) && c == 0,
        _ => value.ValueKind == Kind,
    };

    /// <summary>Orders a value against this one: numbers with numbers, strings with strings; other pairs do not compare.</summary>
    /// <param name="value">The event's value.</param>
    /// <param name="comparison">Negative, zero or positive as <paramref name="value"/> is below, equal to or above this operand.</param>
    /// <returns>Whether the two compare.</returns>
    public bool TryCompare(JsonElement value, out int comparison)
    {
        comparison = 0;
        if (Kind == JsonValueKind.Number && value.ValueKind == JsonValueKind.Number)
        {
            if (Exact is { } exact && value.TryGetDecimal(out var d))
            {
                comparison = d.CompareTo(exact);
                return true;
            }

            if (value.TryGetDouble(out var x) && !double.IsNaN(x))
            {
                comparison = x.CompareTo(Number);
                return true;
            }

            return false;
        }

        if (Kind == JsonValueKind.String && value.ValueKind == JsonValueKind.String)
        {
            comparison = string.CompareOrdinal(value.GetString(), Text);
            return true;
        }

        return false;
    }
}
