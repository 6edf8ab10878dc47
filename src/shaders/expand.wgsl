// Expansion of packed rows into dense rows of the feature matrix, one invocation per row.
// A packed row holds the numeric features' values (f32 bits), then one word per categorical column:
// the place in the dense row that the column's category sets, or 0xffffffff for none. With
// P[r, w] = packed[r · words + w], dense row r of `width` values is
//
//   out[r, c] = P[r, c]                                    c < numeric
//   out[r, c] = hot[c]  if P[r, word_of[c]] == c, else 0   otherwise
//
// where word_of[c] is the packed word that feature c is read from and hot[c] the bits of its value
// where its category is present (1, or the category's gain). The invocation copies the numeric
// words, zeroes the categorical places, then for each categorical word w sets the place c it names
// when c is one of w's places (word_of[c] == w): the same values, a store per place and a load per
// word rather than a gather per place. Values move as u32 bits, never as floats, so each equals
// the CPU's to the bit. One invocation per row rather than per value: a CPU adapter pays for each
// invocation (3 to 4 times the time per value on lavapipe), and on a GPU the expansion is a small
// part of scoring either way.

override WG: u32 = 64u;

struct Expand {
  rows: u32, width: u32, words: u32, numeric: u32,
  packed_off: u32, out_off: u32,
}

@group(0) @binding(0) var<uniform> q: Expand;
@group(0) @binding(1) var<storage, read> packed: array<u32>;
@group(0) @binding(2) var<storage, read> word_of: array<u32>;
@group(0) @binding(3) var<storage, read> hot: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WG)
fn expand(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lane: u32) {
  let r = (wid.x + wid.y * nwg.x) * WG + lane;
  if (r >= q.rows) { return; }
  let row = q.packed_off + r * q.words;
  let to = q.out_off + r * q.width;
  for (var c = 0u; c < q.numeric; c++) {
    out[to + c] = packed[row + c];
  }
  for (var c = q.numeric; c < q.width; c++) {
    out[to + c] = 0u;
  }
  for (var w = q.numeric; w < q.words; w++) {
    let c = packed[row + w];
    if (c < q.width && word_of[c] == w) {
      out[to + c] = hot[c];
    }
  }
}
