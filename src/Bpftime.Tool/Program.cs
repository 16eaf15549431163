return Bpftime.Tool.ToolMain.Run(args);
