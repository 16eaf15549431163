namespace Bpftime.Compiler;
