using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>
/// Reads a JSON request body with our own serializer settings, so every bad body gets a 4xx
/// ProblemDetails that says what to fix and never a 500: too large (413), not JSON (415),
/// malformed (400), and a shape check against the target type's metadata that reports every
/// unknown property and every value of the wrong JSON type, each under its field, before the
/// body is deserialized.
/// </summary>
internal static class WebhookJsonBody
{
    private const int MaxDepth = 16;

    /// <summary>Reads and checks the body; returns <see langword="null"/> only when <paramref name="optional"/> and there is no body.</summary>
    /// <exception cref="WebhookEndpointProblemException">The body is missing, too large, not JSON or of the wrong shape.</exception>
    public static async Task<T?> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, int maxBytes, bool optional)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        bool canHaveBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? request.ContentLength > 0;
        if (request.ContentLength == 0 || !canHaveBody)
        {
            return optional ? null : throw Missing();
        }

        if (!request.HasJsonContentType())
        {
            throw new WebhookEndpointProblemException(WebhookProblems.Problem(
                StatusCodes.Status415UnsupportedMediaType,
                "Unsupported media type.",
                $"Send the body as JSON with 'Content-Type: application/json' (got '{Printable(request.ContentType)}')."));
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false } && (sizeFeature.MaxRequestBodySize is null || sizeFeature.MaxRequestBodySize > maxBytes))
        {
            sizeFeature.MaxRequestBodySize = maxBytes;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, 16 * 1024));
        try
        {
            int length = 0;
            while (true)
            {
                if (length == rented.Length)
                {
                    if (length > maxBytes)
                    {
                        throw TooLarge(maxBytes);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(rented.Length * 2, maxBytes + 1));
                    rented.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = bigger;
                }

                int read;
                try
                {
                    read = await request.Body.ReadAsync(rented.AsMemory(length), context.RequestAborted).ConfigureAwait(false);
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    throw TooLarge(maxBytes);
                }

                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }
            }

            if (length == 0)
            {
                return optional ? null : throw Missing();
            }

            return Parse(rented.AsMemory(0, length), typeInfo);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static T Parse<T>(ReadOnlyMemory<byte> utf8, JsonTypeInfo<T> typeInfo)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = MaxDepth, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var position = (ex.BytePositionInLine ?? 0) + 1;
            throw new WebhookEndpointProblemException(WebhookProblems.Problem(
                StatusCodes.Status400BadRequest,
                "The request body is not valid JSON.",
                $"{Reason(ex.Message)} (line {line}, byte {position}). Send one JSON object."));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new WebhookEndpointProblemException(WebhookProblems.Problem(
                    StatusCodes.Status400BadRequest,
                    "The request body must be a JSON object.",
                    $"The body is {Describe(root.ValueKind)}; send a JSON object such as {{\"name\": \"...\"}}."));
            }

            var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            CheckShape(root, typeInfo, "", errors);
            if (errors.Count > 0)
            {
                throw new WebhookEndpointProblemException(WebhookProblems.Validation(
                    errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal),
                    "The body has unknown properties or values of the wrong JSON type; fix the fields listed in 'errors'."));
            }

            try
            {
                return root.Deserialize(typeInfo)!;
            }
            catch (JsonException ex)
            {
                // The shape check should have caught it; answer 400 all the same, never 500.
                var field = FieldFromPath(ex.Path);
                throw new WebhookEndpointProblemException(WebhookProblems.Validation(field, "The value cannot be read; check its JSON type and range."));
            }
        }
    }

    /// <summary>Checks a value against what the serializer expects, recording one message per offending field.</summary>
    private static void CheckShape(JsonElement value, JsonTypeInfo info, string path, Dictionary<string, List<string>> errors)
    {
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    Add(errors, path, $"Expected a JSON object, not {Describe(value.ValueKind)}.");
                    return;
                }

                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var property in value.EnumerateObject())
                {
                    var childPath = path.Length == 0 ? property.Name : path + "." + property.Name;
                    if (!seen.Add(property.Name))
                    {
                        Add(errors, childPath, "The property is given more than once; give it once.");
                        continue;
                    }

                    var member = Find(info, property.Name);
                    if (member is null)
                    {
                        Add(errors, Printable(childPath), $"Unknown property '{Printable(property.Name)}'; remove it. Allowed here: {string.Join(", ", info.Properties.Select(p => p.Name))}.");
                        continue;
                    }

                    if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        CheckShape(property.Value, info.Options.GetTypeInfo(member.PropertyType), path.Length == 0 ? member.Name : path + "." + member.Name, errors);
                    }
                }

                return;

            case JsonTypeInfoKind.Enumerable:
                if (value.ValueKind != JsonValueKind.Array)
                {
                    Add(errors, path, $"Expected {Expected(info)}, not {Describe(value.ValueKind)}.");
                    return;
                }

                var elementInfo = info.Options.GetTypeInfo(info.ElementType!);
                int index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Null)
                    {
                        Add(errors, path, $"Item {index} is null; expected {Expected(elementInfo)}.");
                    }
                    else if (elementInfo.Kind != JsonTypeInfoKind.None)
                    {
                        CheckShape(item, elementInfo, path, errors);
                    }
                    else if (!Matches(item, elementInfo))
                    {
                        Add(errors, path, $"Item {index} is {Describe(item.ValueKind)}; expected {Expected(elementInfo)}.");
                    }

                    index++;
                }

                return;

            case JsonTypeInfoKind.Dictionary:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    Add(errors, path, $"Expected {Expected(info)}, not {Describe(value.ValueKind)}.");
                    return;
                }

                var valueInfo = info.Options.GetTypeInfo(info.ElementType!);
                var keys = new HashSet<string>(StringComparer.Ordinal);
                foreach (var entry in value.EnumerateObject())
                {
                    if (!keys.Add(entry.Name))
                    {
                        Add(errors, path, $"The key '{Printable(entry.Name)}' is given more than once.");
                    }
                    else if (entry.Value.ValueKind == JsonValueKind.Null)
                    {
                        Add(errors, path, $"The value of '{Printable(entry.Name)}' is null; expected {Expected(valueInfo)}.");
                    }
                    else if (valueInfo.Kind != JsonTypeInfoKind.None)
                    {
                        CheckShape(entry.Value, valueInfo, path + "." + Printable(entry.Name), errors);
                    }
                    else if (!Matches(entry.Value, valueInfo))
                    {
                        Add(errors, path, $"The value of '{Printable(entry.Name)}' is {Describe(entry.Value.ValueKind)}; expected {Expected(valueInfo)}.");
                    }
                }

                return;

            default:
                if (!Matches(value, info))
                {
                    Add(errors, path, $"Expected {Expected(info)}, not {Describe(value.ValueKind)}.");
                }

                return;
        }
    }

    private static JsonPropertyInfo? Find(JsonTypeInfo info, string name)
    {
        var comparison = info.Options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var p in info.Properties)
        {
            if (p.Set is not null && string.Equals(p.Name, name, comparison))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>Whether a scalar JSON value fits a primitive type.</summary>
    private static bool Matches(JsonElement value, JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.None)
        {
            return info.Kind == JsonTypeInfoKind.Enumerable ? value.ValueKind == JsonValueKind.Array : value.ValueKind == JsonValueKind.Object;
        }

        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (type == typeof(string))
        {
            return value.ValueKind == JsonValueKind.String;
        }

        if (type == typeof(bool))
        {
            return value.ValueKind is JsonValueKind.True or JsonValueKind.False;
        }

        if (type == typeof(int))
        {
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _);
        }

        if (type == typeof(long))
        {
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _);
        }

        if (type == typeof(decimal))
        {
            return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out _);
        }

        if (type == typeof(double))
        {
            return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d);
        }

        if (type == typeof(DateTimeOffset))
        {
            return value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out _);
        }

        return true;
    }

    private static string Expected(JsonTypeInfo info)
    {
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                return "a JSON object";
            case JsonTypeInfoKind.Enumerable:
                return "an array of " + Plural(info.Options.GetTypeInfo(info.ElementType!));
            case JsonTypeInfoKind.Dictionary:
                return "an object whose values are " + Plural(info.Options.GetTypeInfo(info.ElementType!));
        }

        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        return type == typeof(string) ? "a string"
            : type == typeof(bool) ? "true or false"
            : type == typeof(int) ? "a whole number (32-bit)"
            : type == typeof(long) ? "a whole number"
            : type == typeof(decimal) || type == typeof(double) ? "a number"
            : type == typeof(DateTimeOffset) ? "an ISO 8601 date and time string, such as \"2025-01-31T12:00:00Z\""
            : "a JSON value";
    }

    private static string Plural(JsonTypeInfo info) => info.Kind switch
    {
        JsonTypeInfoKind.Enumerable => "arrays of " + Plural(info.Options.GetTypeInfo(info.ElementType!)),
        JsonTypeInfoKind.Dictionary or JsonTypeInfoKind.Object => "objects",
        _ => (Nullable.GetUnderlyingType(info.Type) ?? info.Type) == typeof(string) ? "strings" : "values of " + Expected(info),
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "empty",
    };

    private static void Add(Dictionary<string, List<string>> errors, string field, string message)
    {
        var key = field.Length == 0 ? "$" : field;
        if (!errors.TryGetValue(key, out var list))
        {
            errors[key] = list = [];
        }

        if (list.Count < 10 && !list.Contains(message))
        {
            list.Add(message);
        }
    }

    private static string FieldFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "$";
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    /// <summary>The parser's reason without its position suffix (we add a 1-based one).</summary>
    private static string Reason(string message)
    {
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        }

        var reason = (cut < 0 ? message : message[..cut]).TrimEnd(' ', '.', '|');
        return reason.Length > 200 ? reason[..200] : reason;
    }

    internal static string Printable(string? s) =>
        s is null ? "" : new string(s.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    private static WebhookEndpointProblemException TooLarge(int maxBytes) =>
        new(WebhookProblems.Problem(
            StatusCodes.Status413PayloadTooLarge,
            "The request body is too large.",
            string.Create(CultureInfo.InvariantCulture, $"The body may be at most {maxBytes} bytes; send less data.")));

    private static WebhookEndpointProblemException Missing() =>
        new(WebhookProblems.Problem(
            StatusCodes.Status400BadRequest,
            "A request body is required.",
            "Send a JSON object with 'Content-Type: application/json'."));
}
