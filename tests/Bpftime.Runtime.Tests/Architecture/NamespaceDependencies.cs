using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Bpftime.Tests.Architecture;

/// <summary>
/// The dependencies between the top-level namespaces of one compiled assembly (<c>Bpftime.Isa</c>,
/// <c>Bpftime.Engines.X64</c> and <c>Bpftime.Engines</c> are Isa, Engines and Engines), read from its metadata:
/// base types, interfaces, generic constraints, fields, method, property and event signatures, locals,
/// catch clauses, attributes (with their <c>typeof</c> arguments) and every type, method and field token in
/// the method bodies. A constant (<c>const</c>, an enum member) is copied into the IL where it is used and
/// leaves no trace there; its type still counts where it appears in a signature.
/// </summary>
internal sealed class NamespaceDependencies
{
    private readonly MetadataReader _reader;
    private readonly PEReader _pe;
    private readonly string _rootPrefix;
    private readonly Dictionary<(string From, string To), List<TypeUse>> _edges = [];
    private readonly HashSet<string> _namespaces = new(StringComparer.Ordinal);
    private readonly HashSet<TypeUse> _seen = [];
    private static readonly OpCodeOperands OpCodeTable = new();

    private NamespaceDependencies(PEReader pe, string rootNamespace)
    {
        _pe = pe;
        _reader = pe.GetMetadataReader();
        _rootPrefix = rootNamespace + ".";
    }

    /// <summary>Every edge between two different top-level namespaces, with the uses that make it (each used type's first use per using type).</summary>
    public IReadOnlyDictionary<(string From, string To), List<TypeUse>> Edges => _edges;

    /// <summary>The top-level namespaces that hold types.</summary>
    public IReadOnlyCollection<string> Namespaces => _namespaces;

    /// <summary>One use of a type of another namespace: where (type.member), how, and the type used.</summary>
    public sealed record TypeUse(string Where, string Kind, string Target)
    {
        public override string ToString() => $"{Where} ({Kind}) uses {Target}";
    }

    /// <summary>A cycle among <paramref name="edges"/> as its namespaces, the first repeated at the end; null when there is none.</summary>
    public static IReadOnlyList<string>? FindCycle(IEnumerable<(string From, string To)> edges)
    {
        var next = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Order(StringComparer.Ordinal).ToList());
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path; true: done
        var path = new List<string>();
        foreach (var start in next.Keys.Order(StringComparer.Ordinal))
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }
        return null;

        List<string>? Visit(string node)
        {
            if (state.TryGetValue(node, out var done))
            {
                return done ? null : [.. path.SkipWhile(n => n != node), node];
            }
            state[node] = false;
            path.Add(node);
            foreach (var to in next.GetValueOrDefault(node) ?? [])
            {
                if (Visit(to) is { } cycle)
                {
                    return cycle;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[node] = true;
            return null;
        }
    }

    /// <summary>Reads <paramref name="assemblyPath"/>; namespaces outside <paramref name="rootNamespace"/> are not nodes.</summary>
    public static NamespaceDependencies Read(string assemblyPath, string rootNamespace)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var graph = new NamespaceDependencies(pe, rootNamespace);
        foreach (var handle in graph._reader.TypeDefinitions)
        {
            graph.ReadType(handle);
        }
        return graph;
    }

    /// <summary>The top-level namespace of a type of this assembly (nested types take their outermost type's), or null.</summary>
    public string? NamespaceOf(TypeDefinitionHandle handle)
    {
        var type = _reader.GetTypeDefinition(handle);
        while (type.GetDeclaringType() is { IsNil: false } outer)
        {
            type = _reader.GetTypeDefinition(outer);
        }
        var ns = _reader.GetString(type.Namespace);
        if (!ns.StartsWith(_rootPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var rest = ns[_rootPrefix.Length..];
        var dot = rest.IndexOf('.');
        return dot < 0 ? rest : rest[..dot];
    }

    private string TypeName(TypeDefinitionHandle handle)
    {
        var type = _reader.GetTypeDefinition(handle);
        var name = _reader.GetString(type.Name);
        return type.GetDeclaringType() is { IsNil: false } outer ? TypeName(outer) + "." + name : _reader.GetString(type.Namespace) + "." + name;
    }

    private void ReadType(TypeDefinitionHandle handle)
    {
        var from = NamespaceOf(handle);
        if (from is null)
        {
            return;
        }
        _namespaces.Add(from);
        var type = _reader.GetTypeDefinition(handle);
        var context = new UseSite(this, from, TypeName(handle));

        context.Handle(type.BaseType, "base type");
        foreach (var implementation in type.GetInterfaceImplementations())
        {
            context.Handle(_reader.GetInterfaceImplementation(implementation).Interface, "interface");
        }
        GenericConstraints(context, type.GetGenericParameters());
        Attributes(context, type.GetCustomAttributes());

        foreach (var fieldHandle in type.GetFields())
        {
            var field = _reader.GetFieldDefinition(fieldHandle);
            var site = context.At(_reader.GetString(field.Name));
            field.DecodeSignature(site.As("field type"), null);
            Attributes(site, field.GetCustomAttributes());
        }
        foreach (var propertyHandle in type.GetProperties())
        {
            var property = _reader.GetPropertyDefinition(propertyHandle);
            var site = context.At(_reader.GetString(property.Name));
            property.DecodeSignature(site.As("property type"), null);
            Attributes(site, property.GetCustomAttributes());
        }
        foreach (var eventHandle in type.GetEvents())
        {
            var @event = _reader.GetEventDefinition(eventHandle);
            var site = context.At(_reader.GetString(@event.Name));
            site.Handle(@event.Type, "event type");
            Attributes(site, @event.GetCustomAttributes());
        }
        foreach (var methodHandle in type.GetMethods())
        {
            Method(context, methodHandle);
        }
    }

    private void Method(UseSite context, MethodDefinitionHandle handle)
    {
        var method = _reader.GetMethodDefinition(handle);
        var site = context.At(_reader.GetString(method.Name));
        method.DecodeSignature(site.As("signature"), null);
        GenericConstraints(site, method.GetGenericParameters());
        Attributes(site, method.GetCustomAttributes());
        foreach (var parameter in method.GetParameters())
        {
            Attributes(site, _reader.GetParameter(parameter).GetCustomAttributes());
        }
        if (method.RelativeVirtualAddress == 0)
        {
            return;
        }
        var body = _pe.GetMethodBody(method.RelativeVirtualAddress);
        if (!body.LocalSignature.IsNil)
        {
            _reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(site.As("local variable"), null);
        }
        foreach (var region in body.ExceptionRegions)
        {
            site.Handle(region.CatchType, "catch clause");
        }
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            int value = il.ReadByte();
            if (value == 0xFE)
            {
                value = 0xFE00 | il.ReadByte();
            }
            var operand = OpCodeTable.OperandType(value);
            switch (operand)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                case OperandType.InlineSig:
                    site.Handle(MetadataTokens.EntityHandle(il.ReadInt32()), "method body");
                    break;
                case OperandType.InlineSwitch:
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                default:
                    il.Offset += OpCodeOperands.OperandSize(operand);
                    break;
            }
        }
    }

    private void GenericConstraints(UseSite site, GenericParameterHandleCollection parameters)
    {
        foreach (var parameterHandle in parameters)
        {
            foreach (var constraint in _reader.GetGenericParameter(parameterHandle).GetConstraints())
            {
                site.Handle(_reader.GetGenericParameterConstraint(constraint).Type, "generic constraint");
            }
        }
    }

    private void Attributes(UseSite site, CustomAttributeHandleCollection attributes)
    {
        foreach (var attributeHandle in attributes)
        {
            var attribute = _reader.GetCustomAttribute(attributeHandle);
            site.Handle(attribute.Constructor, "attribute");
            try
            {
                attribute.DecodeValue(new AttributeTypeProvider(site));
            }
            catch (Exception failure) when (failure is BadImageFormatException or NotSupportedException or InvalidOperationException)
            {
                // An enum argument whose underlying type is not int cannot be decoded without the enum's
                // assembly; the attribute's own type was recorded above.
            }
        }
    }

    private void Record(string from, EntityHandle handle, string where, string what)
    {
        if (handle.Kind != HandleKind.TypeDefinition)
        {
            return;
        }
        var to = NamespaceOf((TypeDefinitionHandle)handle);
        if (to is null || to == from)
        {
            return;
        }
        if (!_edges.TryGetValue((from, to), out var uses))
        {
            _edges[(from, to)] = uses = [];
        }
        var use = new TypeUse(where, what, TypeName((TypeDefinitionHandle)handle));
        if (_seen.Add(use))
        {
            uses.Add(use);
        }
    }

    /// <summary>One member that uses other types; resolves tokens to the types behind them.</summary>
    private sealed class UseSite
    {
        private readonly NamespaceDependencies _graph;
        private readonly string _from;
        private readonly string _where;
        private string _what = "";

        public UseSite(NamespaceDependencies graph, string from, string where)
        {
            _graph = graph;
            _from = from;
            _where = where;
            Provider = new TypeCollector(this);
        }

        private TypeCollector Provider { get; }

        public UseSite At(string member) => new(_graph, _from, _where + "." + member);

        /// <summary>The signature decoder, recording each type it meets as used for <paramref name="what"/>.</summary>
        public TypeCollector As(string what)
        {
            _what = what;
            return Provider;
        }

        public void Handle(EntityHandle handle, string what)
        {
            if (handle.IsNil)
            {
                return;
            }
            _what = what;
            var reader = _graph._reader;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    Type((TypeDefinitionHandle)handle);
                    break;
                case HandleKind.TypeSpecification:
                    reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(Provider, null);
                    break;
                case HandleKind.MethodDefinition:
                    Type(reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    Type(reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    {
                        var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                        Handle(member.Parent, what);
                        if (member.GetKind() == MemberReferenceKind.Method)
                        {
                            member.DecodeMethodSignature(Provider, null);
                        }
                        else
                        {
                            member.DecodeFieldSignature(Provider, null);
                        }
                        break;
                    }
                case HandleKind.MethodSpecification:
                    {
                        var specification = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                        Handle(specification.Method, what);
                        specification.DecodeSignature(Provider, null);
                        break;
                    }
                case HandleKind.StandaloneSignature:
                    {
                        var signature = reader.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                        if (signature.GetKind() == StandaloneSignatureKind.Method)
                        {
                            signature.DecodeMethodSignature(Provider, null);
                        }
                        break;
                    }
            }
        }

        public void Type(TypeDefinitionHandle handle) => _graph.Record(_from, handle, _where, _what);

        /// <summary>A type named in an attribute blob (<c>typeof(X)</c>): found by its full name among this assembly's types.</summary>
        public void SerializedType(string name)
        {
            var comma = name.IndexOf(',');
            var full = (comma < 0 ? name : name[..comma]).Replace('+', '.');
            foreach (var handle in _graph._reader.TypeDefinitions)
            {
                if (_graph.TypeName(handle) == full)
                {
                    Type(handle);
                    return;
                }
            }
        }
    }

    /// <summary>Decodes signatures only to see the types of this assembly they name.</summary>
    private sealed class TypeCollector(UseSite site) : ISignatureTypeProvider<int, object?>
    {
        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            site.Type(handle);
            return 0;
        }

        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? context, int index) => 0;
        public int GetGenericTypeParameter(object? context, int index) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
    }

    /// <summary>Decodes attribute arguments; <c>typeof</c> arguments arrive as serialized names.</summary>
    private sealed class AttributeTypeProvider(UseSite site) : ICustomAttributeTypeProvider<int>
    {
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSystemType() => 0;
        public int GetSZArrayType(int elementType) => 0;
        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            site.Type(handle);
            return 0;
        }
        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetTypeFromSerializedName(string name)
        {
            site.SerializedType(name);
            return 0;
        }
        // Assumed int, as nearly every enum is; a wrong guess makes the decoder fail, which the caller allows for.
        public PrimitiveTypeCode GetUnderlyingEnumType(int type) => PrimitiveTypeCode.Int32;
        public bool IsSystemType(int type) => false;
    }

    /// <summary>The operand kind of each IL opcode, from <see cref="OpCodes"/>.</summary>
    private sealed class OpCodeOperands
    {
        private readonly Dictionary<int, OperandType> _operands = [];

        public OpCodeOperands()
        {
            foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var opcode = (OpCode)field.GetValue(null)!;
                _operands[(ushort)opcode.Value] = opcode.OperandType;
            }
        }

        public OperandType OperandType(int value) =>
            _operands.TryGetValue(value, out var operand) ? operand : throw new InvalidDataException($"unknown IL opcode 0x{value:x}");

        public static int OperandSize(OperandType operand) => operand switch
        {
            System.Reflection.Emit.OperandType.InlineNone => 0,
            System.Reflection.Emit.OperandType.ShortInlineBrTarget or System.Reflection.Emit.OperandType.ShortInlineI or System.Reflection.Emit.OperandType.ShortInlineVar => 1,
            System.Reflection.Emit.OperandType.InlineVar => 2,
            System.Reflection.Emit.OperandType.InlineI8 or System.Reflection.Emit.OperandType.InlineR => 8,
            _ => 4,
        };
    }
}
