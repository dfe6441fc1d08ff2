using System.Text.Json;

namespace Webhooks.Core.Filtering;

/// <summary>
/// A test of one field's value; an undefined element means the field is missing. As in MongoDB,
/// a value that is an array passes a comparison when one of its items does (<c>{"data.tags": "vip"}</c>
/// matches <c>"tags": ["new", "vip"]</c>); <c>$ne</c> and <c>$nin</c> are the negations, so they
/// pass when no item matches and when the field is missing.
/// </summary>
internal abstract class FieldTest
{
    public abstract bool Test(JsonElement value);
}

/// <summary>Equality: <c>{"path": value}</c> and <c>$eq</c>.</summary>
internal sealed class EqualsTest(FilterValue operand) : FieldTest
{
    public override bool Test(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return operand.EqualTo(value);
        }

        foreach (var item in value.EnumerateArray())
        {
            if (operand.EqualTo(item))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Membership: <c>$in</c>.</summary>
internal sealed class InTest(FilterValue[] operands) : FieldTest
{
    public override bool Test(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return Any(value);
        }

        foreach (var item in value.EnumerateArray())
        {
            if (Any(item))
            {
                return true;
            }
        }

        return false;
    }

    private bool Any(JsonElement value)
    {
        foreach (var o in operands)
        {
            if (o.EqualTo(value))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Order: <c>$gt</c> (sign 1), <c>$gte</c> (1, or equal), <c>$lt</c> (-1), <c>$lte</c> (-1, or equal);
/// numbers with numbers, strings with strings (ISO 8601 dates in UTC compare as strings).
/// </summary>
internal sealed class CompareTest(int sign, bool orEqual, FilterValue operand) : FieldTest
{
    public override bool Test(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return Passes(value);
        }

        foreach (var item in value.EnumerateArray())
        {
            if (Passes(item))
            {
                return true;
            }
        }

        return false;
    }

    private bool Passes(JsonElement value) =>
        operand.TryCompare(value, out var c) && (Math.Sign(c) == sign || (orEqual && c == 0));
}

/// <summary>Presence: <c>$exists</c> (a field holding <c>null</c> exists).</summary>
internal sealed class ExistsTest(bool expected) : FieldTest
{
    public override bool Test(JsonElement value) => (value.ValueKind != JsonValueKind.Undefined) == expected;
}

/// <summary>Negation: <c>$ne</c>, <c>$nin</c> and a field's <c>$not</c>.</summary>
internal sealed class NotTest(FieldTest inner) : FieldTest
{
    public override bool Test(JsonElement value) => !inner.Test(value);
}

/// <summary>Several operators on one field, all of which must pass (<c>{"$gte": 10, "$lt": 20}</c>).</summary>
internal sealed class AllTests(FieldTest[] tests) : FieldTest
{
    public override bool Test(JsonElement value)
    {
        foreach (var t in tests)
        {
            if (!t.Test(value))
            {
                return false;
            }
        }

        return true;
    }
}
