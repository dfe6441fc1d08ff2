using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Webhooks.Core.Filtering;

/// <summary>
/// Parses and validates payload filters. The language, in the shape Convoy, Outpost and MongoDB
/// users know:
/// <list type="bullet">
/// <item>A filter is a JSON object; all of its keys must hold. A key is a path (<c>type</c>,
/// <c>data</c>, <c>data.customer.tier</c>, <c>data.items.0.sku</c>) or <c>$and</c> / <c>$or</c>
/// (a non-empty array of filters) or <c>$not</c> (a filter).</item>
/// <item>A path's value is a string, number, boolean or null (equality), or an object of operators:
/// <c>$eq</c>, <c>$ne</c> (a value), <c>$in</c>, <c>$nin</c> (a non-empty array of values),
/// <c>$gt</c>, <c>$gte</c>, <c>$lt</c>, <c>$lte</c> (a number or a string), <c>$exists</c>
/// (<c>true</c> or <c>false</c>) and <c>$not</c> (an object of operators).</item>
/// <item>At most <see cref="MaxDepth"/> levels of nested objects and arrays, and
/// <see cref="MaxBytes"/> bytes in compact form.</item>
/// </list>
/// Every message names the spot it is about (<c>$or[1].data.total.$gte</c>).
/// </summary>
internal static class WebhookPayloadFilterParser
{
    /// <summary>The largest filter, in UTF-8 bytes of its compact form.</summary>
    public const int MaxBytes = 4096;

    /// <summary>The deepest nesting of objects and arrays, the filter object itself being level 1.</summary>
    public const int MaxDepth = 8;

    private const int MaxPathLength = 256;
    private const int MaxErrors = 10;
    private const string Example = "{\"data.priority\": \"high\"}";
    private const string Operators = "$eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists or $not";

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        // Deeper than MaxDepth on purpose: a filter a few levels too deep gets the message that names the spot.
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static readonly JsonWriterOptions CompactOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>Parses <paramref name="json"/>, adding what is wrong to <paramref name="errors"/>.</summary>
    /// <returns>The filter; <see langword="null"/> for none (blank or <c>{}</c>) or when there are errors.</returns>
    public static WebhookPayloadFilter? Parse(string? json, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        // Whitespace does not count against the limit, but there is no reason to read megabytes of it.
        if (json.Length > MaxBytes * 16)
        {
            errors.Add($"The filter is {json.Length} characters long; the limit is {MaxBytes} bytes in compact form.");
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            errors.Add($"The filter is not valid JSON: {Reason(ex)} (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}).");
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.String)
            {
                errors.Add($"Send the filter as a JSON object, such as {Example}, not as a string.");
                return null;
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"The filter must be a JSON object, such as {Example}, not {Describe(root.ValueKind)}.");
                return null;
            }

            if (!root.EnumerateObject().Any())
            {
                return null;
            }

            var node = new FilterReader(errors).Conditions(root, "", 1);
            if (errors.Count > 0 || node is null)
            {
                return null;
            }

            var compact = Compact(root);
            var size = Encoding.UTF8.GetByteCount(compact);
            if (size > MaxBytes)
            {
                errors.Add($"The filter is {size} bytes in compact form; the limit is {MaxBytes}. Use $in for lists of values, or split it across subscriptions.");
                return null;
            }

            return new WebhookPayloadFilter(compact, node);
        }
    }

    private static string Compact(JsonElement root)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, CompactOptions))
        {
            root.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Reason(JsonException ex)
    {
        var message = ex.Message;
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        }

        var reason = (cut < 0 ? message : message[..cut]).TrimEnd(' ', '.', '|');
        return reason.Length > 200 ? reason[..200] : reason;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static bool IsScalar(JsonValueKind kind) =>
        kind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null;

    private static string Printable(string s) =>
        s.Length <= 64 && !s.Any(char.IsControl) ? s : new string(s.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray()) + (s.Length > 64 ? "…" : "");

    /// <summary>One pass over a filter document, collecting errors (up to a bound) as it goes.</summary>
    private sealed class FilterReader(List<string> errors)
    {
        /// <summary>An object of conditions (paths, <c>$and</c>, <c>$or</c>, <c>$not</c>), all of which must hold.</summary>
        public FilterNode? Conditions(JsonElement obj, string spot, int depth)
        {
            if (!Within(spot, depth))
            {
                return null;
            }

            var nodes = new List<FilterNode>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in obj.EnumerateObject())
            {
                var at = Join(spot, property.Name);
                if (!seen.Add(property.Name))
                {
                    Add(at, "is given more than once; give each path once and put several operators in its object, such as {\"$gte\": 1, \"$lt\": 10}.");
                    continue;
                }

                var node = property.Name switch
                {
                    "$and" => List(property.Value, at, depth, all: true),
                    "$or" => List(property.Value, at, depth, all: false),
                    "$not" => Not(property.Value, at, depth),
                    _ when property.Name.StartsWith('$') => UnknownCombinator(property.Name, at),
                    _ => Field(property.Name, property.Value, at, depth),
                };
                if (node is not null)
                {
                    nodes.Add(node);
                }
            }

            return nodes.Count == 1 ? nodes[0] : new AllNode([.. nodes]);
        }

        private FilterNode? List(JsonElement value, string at, int depth, bool all)
        {
            var name = all ? "$and" : "$or";
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            {
                Add(at, $"{name} takes a non-empty array of filters, such as [{{\"data.status\": \"open\"}}, {{\"data.priority\": \"high\"}}], not {(value.ValueKind == JsonValueKind.Array ? "an empty array" : Describe(value.ValueKind))}.");
                return null;
            }

            if (!Within(at, depth + 1))
            {
                return null;
            }

            var nodes = new List<FilterNode>();
            int index = 0;
            foreach (var item in value.EnumerateArray())
            {
                var itemAt = $"{at}[{index++}]";
                if (item.ValueKind != JsonValueKind.Object || !item.EnumerateObject().Any())
                {
                    Add(itemAt, $"each item of {name} is a filter object with at least one condition, not {(item.ValueKind == JsonValueKind.Object ? "an empty object" : Describe(item.ValueKind))}.");
                    continue;
                }

                if (Conditions(item, itemAt, depth + 2) is { } node)
                {
                    nodes.Add(node);
                }
            }

            return all ? new AllNode([.. nodes]) : new AnyNode([.. nodes]);
        }

        private NotNode? Not(JsonElement value, string at, int depth)
        {
            if (value.ValueKind != JsonValueKind.Object || !value.EnumerateObject().Any())
            {
                Add(at, $"$not takes a filter object with at least one condition, such as {{\"data.status\": \"closed\"}}, not {(value.ValueKind == JsonValueKind.Object ? "an empty object" : Describe(value.ValueKind))}.");
                return null;
            }

            return Conditions(value, at, depth + 1) is { } node ? new NotNode(node) : null;
        }

        private FilterNode? UnknownCombinator(string name, string at)
        {
            Add(at, IsFieldOperator(name)
                ? $"'{Printable(name)}' tests a field; put it under a path, such as {{\"data.total\": {{\"{Printable(name)}\": ...}}}}."
                : $"'{Printable(name)}' is not an operator here; use a path such as data.status, or $and, $or or $not.");
            return null;
        }

        private FieldNode? Field(string name, JsonElement value, string at, int depth)
        {
            var path = Path(name, at);
            FieldTest? test;
            if (IsScalar(value.ValueKind))
            {
                test = Scalar(value, at) is { } v ? new EqualsTest(v) : null;
            }
            else if (value.ValueKind == JsonValueKind.Array)
            {
                Add(at, "an array is not a value to compare with; use {\"$in\": [...]} to match any of several values.");
                test = null;
            }
            else
            {
                test = OperatorObject(value, at, depth + 1, name);
            }

            return path is not null && test is not null ? new FieldNode(path, test) : null;
        }

        /// <summary>An object of a field's operators, all of which must pass.</summary>
        private FieldTest? OperatorObject(JsonElement obj, string at, int depth, string path)
        {
            var names = obj.EnumerateObject().Select(p => p.Name).ToList();
            if (names.Count == 0)
            {
                Add(at, $"give at least one operator ({Operators}), such as {{\"$eq\": \"high\"}}.");
                return null;
            }

            int operators = names.Count(n => n.StartsWith('$'));
            if (operators == 0)
            {
                Add(at, $"nested objects are not compared; write the full path with dots instead, such as '{Printable(path)}.{Printable(names[0])}'.");
                return null;
            }

            if (operators < names.Count)
            {
                Add(at, $"mixes operators and field names ('{Printable(names.First(n => !n.StartsWith('$')))}'); write fields as dotted paths, such as '{Printable(path)}.{Printable(names.First(n => !n.StartsWith('$')))}'.");
                return null;
            }

            if (!Within(at, depth))
            {
                return null;
            }

            var tests = new List<FieldTest>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in obj.EnumerateObject())
            {
                var opAt = Join(at, property.Name);
                if (!seen.Add(property.Name))
                {
                    Add(opAt, "is given more than once; give each operator once.");
                    continue;
                }

                if (Operator(property.Name, property.Value, opAt, depth, path) is { } test)
                {
                    tests.Add(test);
                }
            }

            return tests.Count == 1 ? tests[0] : new AllTests([.. tests]);
        }

        private FieldTest? Operator(string name, JsonElement value, string at, int depth, string path)
        {
            switch (name)
            {
                case "$eq":
                    return Scalar(value, at) is { } eq ? new EqualsTest(eq) : null;
                case "$ne":
                    return Scalar(value, at) is { } ne ? new NotTest(new EqualsTest(ne)) : null;
                case "$in":
                case "$nin":
                    return Values(value, at, depth + 1, name) is { } values
                        ? name == "$in" ? new InTest(values) : new NotTest(new InTest(values))
                        : null;
                case "$gt":
                case "$gte":
                case "$lt":
                case "$lte":
                    if (value.ValueKind == JsonValueKind.String || (value.ValueKind == JsonValueKind.Number && Scalar(value, at) is not null))
                    {
                        return new CompareTest(name[1] == 'g' ? 1 : -1, name.Length == 4, FilterValue.From(value));
                    }

                    if (value.ValueKind != JsonValueKind.Number)
                    {
                        Add(at, $"{name} compares with a number or a string, not {Describe(value.ValueKind)}.");
                    }

                    return null;
                case "$exists":
                    if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    {
                        return new ExistsTest(value.ValueKind == JsonValueKind.True);
                    }

                    Add(at, $"$exists takes true or false, not {Describe(value.ValueKind)}.");
                    return null;
                case "$not":
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        Add(at, $"$not on a field takes an object of operators, such as {{\"$in\": [\"a\", \"b\"]}}, not {Describe(value.ValueKind)}.");
                        return null;
                    }

                    return OperatorObject(value, at, depth + 1, path) is { } inner ? new NotTest(inner) : null;
                case "$and":
                case "$or":
                    Add(at, $"{name} combines whole filters; put it beside the paths, such as {{\"{name}\": [{{\"{Printable(path)}\": ...}}, {{...}}]}}.");
                    return null;
                default:
                    Add(at, $"'{Printable(name)}' is not an operator{Suggest(name)}; use {Operators}.");
                    return null;
            }
        }

        private FilterValue[]? Values(JsonElement value, string at, int depth, string name)
        {
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            {
                Add(at, $"{name} takes a non-empty array of values, such as [\"shipped\", \"delivered\"], not {(value.ValueKind == JsonValueKind.Array ? "an empty array" : Describe(value.ValueKind))}.");
                return null;
            }

            if (!Within(at, depth))
            {
                return null;
            }

            var values = new List<FilterValue>();
            int index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (Scalar(item, $"{at}[{index++}]") is { } v)
                {
                    values.Add(v);
                }
            }

            return values.Count == value.GetArrayLength() ? [.. values] : null;
        }

        /// <summary>A value to compare with: a string, a finite number, a boolean or null.</summary>
        private FilterValue? Scalar(JsonElement value, string at)
        {
            if (value.ValueKind == JsonValueKind.Number && !(value.TryGetDouble(out var d) && double.IsFinite(d)))
            {
                Add(at, "the number is out of range; use a number a double can hold.");
                return null;
            }

            if (!IsScalar(value.ValueKind))
            {
                Add(at, $"compares with one value (a string, number, true, false or null), not {Describe(value.ValueKind)}; use $in to match any of several values.");
                return null;
            }

            return FilterValue.From(value);
        }

        private FilterPath? Path(string name, string at)
        {
            string? problem = null;
            var segments = name.Split('.');
            if (name.Length > MaxPathLength)
            {
                problem = $"the path is {name.Length} characters long; the limit is {MaxPathLength}.";
            }
            else if (name.Any(char.IsControl))
            {
                problem = "the path must not contain control characters.";
            }
            else if (segments[0] == "type")
            {
                problem = segments.Length > 1 ? "'type' is the event type name, a string; it has no fields. Use data.… for the event's data." : null;
            }
            else if (segments[0] != "data")
            {
                problem = $"'{Printable(name)}' is not a path of the event: paths are 'type', 'data' or start with 'data.', such as data.status.";
            }
            else if (segments.Any(s => s.Length == 0))
            {
                problem = $"'{Printable(name)}' has an empty field name; separate field names with single dots, such as data.customer.tier.";
            }
            else if (segments.Any(s => s.StartsWith('$')))
            {
                problem = $"'{Printable(name)}' has a field name starting with '$'; operators go in the path's value, such as {{\"data.total\": {{\"$gte\": 100}}}}.";
            }

            if (problem is not null)
            {
                Add(at, problem);
                return null;
            }

            return new FilterPath(segments[0] == "type", segments[1..]);
        }

        /// <summary>Whether a container at <paramref name="depth"/> is within the limit; records the error once when not.</summary>
        private bool Within(string at, int depth)
        {
            if (depth <= MaxDepth)
            {
                return true;
            }

            Add(at, $"the filter nests deeper than {MaxDepth} levels of objects and arrays; flatten it (dotted paths and $in need no nesting).");
            return false;
        }

        private void Add(string at, string message)
        {
            if (errors.Count < MaxErrors)
            {
                errors.Add(at.Length == 0 ? char.ToUpperInvariant(message[0]) + message[1..] : $"At '{Printable(at)}': {message}");
            }
        }

        private static string Join(string spot, string name) => spot.Length == 0 ? name : spot + "." + name;

        private static bool IsFieldOperator(string name) =>
            name is "$eq" or "$ne" or "$in" or "$nin" or "$gt" or "$gte" or "$lt" or "$lte" or "$exists";

        private static string Suggest(string name) => name switch
        {
            "$neq" or "$not_eq" => " (did you mean $ne?)",
            "$exist" => " (did you mean $exists?)",
            "$notIn" or "$not_in" => " (did you mean $nin?)",
            "$gteq" or "$ge" => " (did you mean $gte?)",
            "$lteq" or "$le" => " (did you mean $lte?)",
            _ => "",
        };
    }
}
