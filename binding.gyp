{
  "targets": [
    {
      "target_name": "arenascope",
      "sources": [
        "<!@(node -e \"require('fs').readdirSync('native',{recursive:true}).filter(f=>f.endsWith('.cc')&&!f.startsWith('fuzz')).forEach(f=>console.log('native/'+f))\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS=='linux'", {
          "cflags_cc": ["<!@(node -p \"process.env.ARENASCOPE_SANITIZE ? '-fsanitize=address,undefined -fno-omit-frame-pointer -g' : ''\")"],
          "ldflags": ["<!@(node -p \"process.env.ARENASCOPE_SANITIZE ? '-fsanitize=address,undefined' : ''\")"]
        }]
      ]
    }
  ]
}
